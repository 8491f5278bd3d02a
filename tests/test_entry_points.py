"""Every name declared in pyproject.toml resolves, and is registered under that name."""
import importlib
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from spacy import registry

if sys.version_info >= (3, 10):
    def _group(name):
        return list(entry_points(group=name))
else:  # pragma: no cover
    def _group(name):
        return list(entry_points().get(name, []))

GROUPS = {
    "spacy_factories": None,
    "spacy_architectures": registry.architectures,
    "spacy_readers": registry.readers,
    "spacy_scorers": registry.scorers,
    "spacy_misc": registry.misc,
    "spacy_callbacks": registry.callbacks,
}


def _declared():
    out = []
    for group in GROUPS:
        for ep in _group(group):
            # only this package's declarations, not spacy-transformers' or others'
            if ep.value.startswith("clinner_spacy"):
                out.append((group, ep))
    return out


@pytest.mark.parametrize("group,ep", _declared(), ids=lambda x: getattr(x, "name", x))
def test_entry_point_resolves(group, ep):
    obj = ep.load()
    assert callable(obj)
    if group == "spacy_factories":
        from spacy.language import Language

        assert Language.has_factory(ep.name)
    else:
        assert GROUPS[group].get(ep.name) is not None


def test_package_declares_entry_points():
    assert _declared(), "pyproject.toml declares no entry points (is the package installed?)"


def test_factory_names_have_no_dots():
    for ep in _group("spacy_factories"):
        assert "." not in ep.name


def _pyproject_declared():
    """(group, name, value) of every entry point in this checkout's pyproject.toml: an editable
    install's metadata lags behind the file until it is reinstalled, and a new name must
    resolve before then too."""
    try:
        import tomllib
    except ImportError:  # pragma: no cover (Python < 3.11)
        return []
    data = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
    declared = data["project"]["entry-points"]
    return [(group, name, value) for group in GROUPS for name, value in declared.get(group, {}).items()]


@pytest.mark.parametrize("group,name,value", _pyproject_declared(), ids=lambda x: str(x))
def test_pyproject_entry_point_resolves(group, name, value):
    module, attr = value.split(":")
    obj = getattr(importlib.import_module(module), attr)
    assert callable(obj)
    if group == "spacy_factories":
        from spacy.language import Language

        assert Language.has_factory(name)
    else:
        assert GROUPS[group].get(name) is obj
