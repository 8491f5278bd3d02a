"""A persistent translation cache, and a Translator wrapper that only translates misses.

Entries are keyed by sha256 over (backend name, cache_signature(), languages, text), so a
change of model, options or backend version never returns a stale translation. Misses are
written in chunks as they are translated and committed at once: an interrupted run loses at
most one chunk and resumes from the cache. SQLite in WAL mode lets a reader (a second run, an
inspection) see the file while a long run writes to it.
"""
import hashlib
import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Union

from ..progress import Progress, ProgressCallback
from ..util import logger
from .base import TranslationError, Translator

SCHEMA = """
CREATE TABLE IF NOT EXISTS translations (
    key TEXT PRIMARY KEY,
    backend TEXT NOT NULL,
    src_lang TEXT NOT NULL,
    tgt_lang TEXT NOT NULL,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    created REAL NOT NULL
)
"""
# SQLite limits the number of bound parameters per statement (999 in old builds).
_SELECT_CHUNK = 500
#: overrides default_cache_path()
CACHE_ENV = "CLINNER_TRANSLATION_CACHE"
CACHE_FILE = "translations.sqlite"


def default_cache_path(cwd: Optional[Union[str, Path]] = None) -> Path:
    """Where translations are cached when a command is given no cache path.

    $CLINNER_TRANSLATION_CACHE if set; else .cache/translations.sqlite under the working
    directory when it is a spaCy project (holds project.yml); else the user cache folder,
    $XDG_CACHE_HOME (default ~/.cache)/clinner_spacy/translations.sqlite.

    cwd (Optional[Union[str, Path]]): the working directory; default the current one.
    RETURNS (Path): the SQLite file (created on first use).
    """
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    cwd = Path(cwd) if cwd is not None else Path.cwd()
    if (cwd / "project.yml").is_file():
        return cwd / ".cache" / CACHE_FILE
    user_cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return user_cache / "clinner_spacy" / CACHE_FILE


def cache_key(backend: str, signature: Dict[str, str], src_lang: str, tgt_lang: str, text: str) -> str:
    """The cache key of one sentence.

    backend (str): the translator's name.
    signature (Dict[str, str]): the translator's cache_signature().
    RETURNS (str): a sha256 hex digest.
    """
    payload = json.dumps(
        [backend, sorted((str(k), str(v)) for k, v in signature.items()), src_lang, tgt_lang, text],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf8")).hexdigest()


class TranslationCache:
    """Key -> translation store in one SQLite file.

    path (Union[str, Path]): the database file; its folder is created if missing.
    """

    def __init__(self, path: Union[str, Path]):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = sqlite3.connect(str(self.path), timeout=60.0)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute(SCHEMA)
            self._conn.commit()
        except sqlite3.DatabaseError as err:
            raise TranslationError(f"{self.path}: not a usable translation cache ({err})") from err

    def get_many(self, keys: Iterable[str]) -> Dict[str, str]:
        """RETURNS (Dict[str, str]): the cached translations of those keys that are present."""
        keys = list(keys)
        found: Dict[str, str] = {}
        for i in range(0, len(keys), _SELECT_CHUNK):
            chunk = keys[i : i + _SELECT_CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(
                f"SELECT key, target FROM translations WHERE key IN ({marks})", chunk
            )
            found.update(rows)
        return found

    def put_many(self, rows: Sequence[tuple]) -> None:
        """Store (key, backend, src_lang, tgt_lang, source, target) rows and commit."""
        now = time.time()
        with self._conn:
            self._conn.executemany(
                "INSERT OR REPLACE INTO translations VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(*row, now) for row in rows],
            )

    def delete_many(self, keys: Iterable[str]) -> int:
        """Remove entries and commit. RETURNS (int): how many keys were given."""
        keys = list(keys)
        with self._conn:
            for i in range(0, len(keys), _SELECT_CHUNK):
                chunk = keys[i : i + _SELECT_CHUNK]
                self._conn.execute(f"DELETE FROM translations WHERE key IN ({','.join('?' * len(chunk))})", chunk)
        return len(keys)

    def __len__(self) -> int:
        return self._conn.execute("SELECT COUNT(*) FROM translations").fetchone()[0]

    def close(self) -> None:
        self._conn.close()


class CachedTranslator:
    """Wraps a Translator: cached sentences cost nothing, identical ones are translated once.

    It is itself a Translator with the wrapped backend's name and signature, so documents
    translated through it record the real backend.

    translator (Translator): the backend.
    cache_path (Union[str, Path]): the SQLite file (shared by all backends and languages).
    chunk_size (int): misses sent to the backend per call; each chunk is committed at once.
    progress (Optional[bool]): show a progress bar (None: only on a terminal).
    progress_callback (Optional[ProgressCallback]): called with (done, total, seconds).
    """

    def __init__(
        self,
        translator: Translator,
        cache_path: Union[str, Path],
        *,
        chunk_size: int = 256,
        progress: Optional[bool] = None,
        progress_callback: Optional[ProgressCallback] = None,
    ):
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be positive, got {chunk_size}")
        self.translator = translator
        self.name = translator.name
        self.cache = TranslationCache(cache_path)
        self.chunk_size = chunk_size
        self.progress = progress
        self.progress_callback = progress_callback
        self.hits = 0
        self.misses = 0
        self.duplicates = 0
        # empty translations of non-empty sentences: returned, never cached (a broken backend
        # must not poison later runs); projection decides whether they are an error
        self.empty = 0
        # translations the backend says it cut (NLLB at max_decoding_length, its
        # last_truncated): returned, never cached, so every rerun reports them again
        self.truncated = 0

    def cache_signature(self) -> Dict[str, str]:
        return self.translator.cache_signature()

    @property
    def stats(self) -> Dict[str, int]:
        """RETURNS (Dict[str, int]): hits, misses (sentences translated) and in-batch duplicates."""
        return {"hits": self.hits, "misses": self.misses, "duplicates": self.duplicates}

    def describe(self) -> str:
        """RETURNS (str): hits and misses of this run and where the cache is, for people."""
        text = f"{self.hits} hits, {self.misses} misses ({self.cache.path})"
        if self.empty:
            text += f"; {self.empty} empty translations not cached"
        if self.truncated:
            text += f"; {self.truncated} translations cut at the decoding length limit, not cached"
        return text

    def _keys(self, texts: Sequence[str], src_lang: str, tgt_lang: str) -> List[Optional[str]]:
        signature = self.translator.cache_signature()
        return [cache_key(self.name, signature, src_lang, tgt_lang, t) if t else None for t in texts]

    def forget(self, texts: Sequence[str], src_lang: str, tgt_lang: str) -> int:
        """Drop the cached translations of texts (translations found broken after the fact).

        RETURNS (int): the number of texts forgotten.
        """
        return self.cache.delete_many(k for k in self._keys(texts, src_lang, tgt_lang) if k is not None)

    def translate(self, texts: Sequence[str], src_lang: str, tgt_lang: str) -> List[str]:
        """Translate texts, reading and filling the cache. See Translator.translate."""
        keys = self._keys(texts, src_lang, tgt_lang)
        # one backend call per distinct sentence: key -> first text with that key
        unique: Dict[str, str] = {}
        for key, text in zip(keys, texts):
            if key is not None:
                unique.setdefault(key, text)
        n_nonempty = sum(key is not None for key in keys)
        self.duplicates += n_nonempty - len(unique)
        found = self.cache.get_many(unique)
        self.hits += sum(1 for key in keys if key is not None and key in found)
        missing = [key for key in unique if key not in found]
        if missing:
            self._translate_missing(missing, unique, found, src_lang, tgt_lang)
        return [found[key] if key is not None else "" for key in keys]

    def _translate_missing(self, missing, unique, found, src_lang, tgt_lang) -> None:
        with Progress(
            len(missing),
            desc=f"{self.name} {src_lang}->{tgt_lang}",
            enabled=self.progress,
            callback=self.progress_callback,
        ) as bar:
            bar.set_postfix(cached=len(found))
            for i in range(0, len(missing), self.chunk_size):
                chunk = missing[i : i + self.chunk_size]
                sources = [unique[key] for key in chunk]
                targets = self.translator.translate(sources, src_lang, tgt_lang)
                if len(targets) != len(sources):
                    raise TranslationError(
                        f"{self.name} returned {len(targets)} translations for {len(sources)} "
                        f"sentences ({src_lang}->{tgt_lang}); nothing from this chunk was cached"
                    )
                cut = set(getattr(self.translator, "last_truncated", None) or ())
                self.truncated += len(cut)
                rows = [(k, self.name, src_lang, tgt_lang, s, t) for k, s, t in zip(chunk, sources, targets)]
                kept = [row for i, row in enumerate(rows) if i not in cut and (row[5].strip() or not row[4].strip())]
                self.empty += sum(1 for i, row in enumerate(rows) if i not in cut and not row[5].strip() and row[4].strip())
                self.cache.put_many(kept)
                found.update(zip(chunk, targets))
                self.misses += len(chunk)
                bar.update(len(chunk))
        logger.info(
            "%s %s->%s: %d translated, %d cached so far (%s)",
            self.name, src_lang, tgt_lang, len(missing), len(self.cache), self.cache.path,
        )

    def close(self) -> None:
        self.cache.close()

    def __enter__(self) -> "CachedTranslator":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
