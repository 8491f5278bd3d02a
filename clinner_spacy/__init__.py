"""clinner-spacy: clinical NER for low-resource languages and domains by transfer from English.

Importing this package is cheap on purpose: spaCy discovers every factory, architecture,
reader and registered function through the entry points declared in pyproject.toml, and
imports the defining module only when a config names it.
"""
from .about import __version__

__all__ = ["__version__"]
