"""CachedTranslator: hits, in-batch dedupe, resumption after an interruption, progress."""
import sqlite3

import pytest

from clinner_spacy.translate.base import TranslationError, Translator
from clinner_spacy.translate.cache import CachedTranslator, TranslationCache, cache_key
from clinner_spacy.progress import Progress


class Upper:
    """Uppercases; counts what it was asked; can fail on its n-th call."""

    name = "upper"

    def __init__(self, fail_on_call=None, version="1"):
        self.calls = []
        self.fail_on_call = fail_on_call
        self.version = version

    def translate(self, texts, src_lang, tgt_lang):
        self.calls.append(list(texts))
        if self.fail_on_call is not None and len(self.calls) == self.fail_on_call:
            raise KeyboardInterrupt  # as if the user stopped the run
        return [t.upper() for t in texts]

    def cache_signature(self):
        return {"backend": self.name, "version": self.version}


def test_hits_cost_nothing(tmp_path):
    inner = Upper()
    cached = CachedTranslator(inner, tmp_path / "c.sqlite")
    assert isinstance(cached, Translator) and cached.name == "upper"
    assert cached.translate(["uno", "dos"], "es", "en") == ["UNO", "DOS"]
    assert cached.translate(["dos", "uno", "tres"], "es", "en") == ["DOS", "UNO", "TRES"]
    assert inner.calls == [["uno", "dos"], ["tres"]]
    assert cached.stats == {"hits": 2, "misses": 3, "duplicates": 0}
    cached.close()
    # a new process (a new wrapper on the same file) sees the same entries
    again = CachedTranslator(Upper(), tmp_path / "c.sqlite")
    assert again.translate(["uno", "dos", "tres"], "es", "en") == ["UNO", "DOS", "TRES"]
    assert again.translator.calls == [] and again.stats["hits"] == 3


def test_identical_sentences_translated_once(tmp_path):
    inner = Upper()
    cached = CachedTranslator(inner, tmp_path / "c.sqlite")
    out = cached.translate(["a", "b", "a", "", "a", "b"], "es", "en")
    assert out == ["A", "B", "A", "", "A", "B"]
    assert inner.calls == [["a", "b"]]
    assert cached.stats["duplicates"] == 3


def test_key_separates_languages_and_signature(tmp_path):
    path = tmp_path / "c.sqlite"
    CachedTranslator(Upper(), path).translate(["x"], "es", "en")
    other_lang = Upper()
    CachedTranslator(other_lang, path).translate(["x"], "fr", "en")
    new_version = Upper(version="2")
    CachedTranslator(new_version, path).translate(["x"], "es", "en")
    assert other_lang.calls == [["x"]] and new_version.calls == [["x"]]
    assert cache_key("a", {"k": "v"}, "es", "en", "t") != cache_key("a", {"k": "w"}, "es", "en", "t")


def test_interrupted_run_resumes(tmp_path):
    texts = [f"s{i}" for i in range(10)]
    first = Upper(fail_on_call=3)
    with pytest.raises(KeyboardInterrupt):
        CachedTranslator(first, tmp_path / "c.sqlite", chunk_size=3).translate(texts, "es", "en")
    cache = TranslationCache(tmp_path / "c.sqlite")
    assert len(cache) == 6  # two chunks were committed
    cache.close()
    second = Upper()
    cached = CachedTranslator(second, tmp_path / "c.sqlite", chunk_size=3)
    assert cached.translate(texts, "es", "en") == [t.upper() for t in texts]
    assert second.calls == [["s6", "s7", "s8"], ["s9"]]
    assert cached.stats["hits"] == 6


def test_wrong_count_from_backend_is_an_error(tmp_path):
    class Lossy(Upper):
        def translate(self, texts, src_lang, tgt_lang):
            return super().translate(texts, src_lang, tgt_lang)[:-1]

    cached = CachedTranslator(Lossy(), tmp_path / "c.sqlite")
    with pytest.raises(TranslationError, match="returned 1 translations for 2"):
        cached.translate(["a", "b"], "es", "en")
    assert len(cached.cache) == 0


def test_progress_callback_and_counts(tmp_path):
    seen = []
    cached = CachedTranslator(
        Upper(), tmp_path / "c.sqlite", chunk_size=2, progress=False, progress_callback=lambda d, t, s: seen.append((d, t))
    )
    cached.translate(["a", "b", "c", "a"], "es", "en")
    assert seen == [(2, 3), (3, 3)]
    with Progress(4, enabled=False) as bar:
        bar.update(2)
        assert bar.done == 2 and bar.rate > 0 and bar.eta is not None


def test_not_a_database(tmp_path):
    path = tmp_path / "c.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(TranslationError, match="c.sqlite"):
        CachedTranslator(Upper(), path)


def test_wal_mode(tmp_path):
    CachedTranslator(Upper(), tmp_path / "c.sqlite").translate(["a"], "es", "en")
    conn = sqlite3.connect(tmp_path / "c.sqlite")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
