"""get_translator and the registered translator functions, resolved from a config."""
import pytest
from spacy import registry
from thinc.api import Config

from clinner_spacy.translate.base import Translator
from clinner_spacy.translate.cache import CachedTranslator
from clinner_spacy.translate.identity import IdentityTranslator
from clinner_spacy.translate.registry import describe, get_translator
from clinner_spacy.translate.splitting import split_pieces

CONFIG = """
[translator]
@misc = "clinner.CachedTranslator.v1"
cache_path = "{path}"
chunk_size = 2

[translator.translator]
@misc = "clinner.IdentityTranslator.v1"
"""


def test_get_translator_identity():
    translator = get_translator("identity")
    assert isinstance(translator, IdentityTranslator) and isinstance(translator, Translator)
    assert translator.translate(["a", "", "b\nc"], "es", "en") == ["a", "", "b\nc"]
    assert describe(translator)["translator"] == "identity"


def test_get_translator_unknown_name():
    with pytest.raises(ValueError, match="apertium, nllb"):
        get_translator("google")


def test_cached_translator_from_config(tmp_path):
    config = Config().from_str(CONFIG.replace("{path}", str(tmp_path / "c.sqlite")))
    resolved = registry.resolve(config)["translator"]
    assert isinstance(resolved, CachedTranslator) and resolved.chunk_size == 2
    assert resolved.translate(["x", "y", "x"], "es", "en") == ["x", "y", "x"]
    assert resolved.stats == {"hits": 0, "misses": 2, "duplicates": 1}
    resolved.close()


def test_registered_names():
    for name in ("ApertiumTranslator", "NLLBTranslator", "CachedTranslator", "IdentityTranslator"):
        assert registry.misc.get(f"clinner.{name}.v1") is not None


@pytest.mark.parametrize(
    "pieces,limit,expected",
    [
        (["▁a", "▁b"], 5, [["▁a", "▁b"]]),
        ([], 3, [[]]),
        # the full stop wins over the later comma and word starts
        (["▁a", "▁b", ".", "▁c", ",", "▁d", "▁e"], 5, [["▁a", "▁b", "."], ["▁c", ",", "▁d", "▁e"]]),
        (["▁a", "b", ",", "▁c", "d", "▁e", "f"], 4, [["▁a", "b", ","], ["▁c", "d", "▁e", "f"]]),
        # no punctuation: at the last word start that fits
        (["▁ab", "c", "▁d", "e", "f", "▁g"], 4, [["▁ab", "c"], ["▁d", "e", "f", "▁g"]]),
        # one long word: hard chunks
        (["▁a", "b", "c", "d", "e"], 2, [["▁a", "b"], ["c", "d"], ["e"]]),
    ],
)
def test_split_pieces(pieces, limit, expected):
    parts = split_pieces(pieces, limit)
    assert parts == expected
    assert [p for part in parts for p in part] == pieces
