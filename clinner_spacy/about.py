__title__ = "clinner-spacy"
__version__ = "0.1.0"
