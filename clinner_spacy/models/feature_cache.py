"""An in-memory, token-bounded LRU cache of frozen-encoder outputs, one entry per Doc.

Why: with every encoder weight frozen, the encoder's output for a document never changes
during training, yet spaCy's loop recomputes it at every step of every epoch, and on a 2-core
CPU that forward pass is ~95% of a step. Computing it once per document and reusing it makes an
epoch cost only the trainable head (benchmarks/feature_cache.py measures the speedup).

A key can never hit a stale entry: it combines
- the encoder's fingerprint (a digest of its weights and config, computed once per torch module,
  see encoder_fingerprint), so another encoder, or the same one after new weights were loaded,
  misses;
- the feature settings (which hidden layers are pooled, how);
- the Doc's text and its token boundaries, so a retokenised Doc misses.
"""
import hashlib
from collections import OrderedDict
from typing import Hashable, Optional

import numpy
from spacy.attrs import IDX

FINGERPRINT_ATTR = "_clinner_fingerprint"


class FeatureCache:
    """LRU mapping from keys to 2d float arrays, holding at most max_tokens rows in all."""

    def __init__(self, max_tokens: int) -> None:
        """max_tokens (int): rows kept in all (0 disables the cache)."""
        if max_tokens < 0:
            raise ValueError(f"cache max_tokens must be >= 0, got {max_tokens}")
        self.max_tokens = int(max_tokens)
        self._data: "OrderedDict[Hashable, numpy.ndarray]" = OrderedDict()
        self.n_tokens = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: Hashable) -> Optional[numpy.ndarray]:
        """RETURNS (Optional[ndarray]): the cached array (most recently used now), or None."""
        value = self._data.get(key)
        if value is None:
            self.misses += 1
            return None
        self._data.move_to_end(key)
        self.hits += 1
        return value

    def put(self, key: Hashable, value: numpy.ndarray) -> None:
        """Store an array, evicting the least recently used entries beyond max_tokens."""
        if self.max_tokens == 0 or value.shape[0] > self.max_tokens:
            return
        old = self._data.pop(key, None)
        if old is not None:
            self.n_tokens -= old.shape[0]
        self._data[key] = value
        self.n_tokens += value.shape[0]
        while self.n_tokens > self.max_tokens:
            _, evicted = self._data.popitem(last=False)
            self.n_tokens -= evicted.shape[0]

    def clear(self) -> None:
        self._data.clear()
        self.n_tokens = 0


def doc_key(doc) -> str:
    """Digest of a Doc's text and token boundaries (two Docs with one key align token by token)."""
    digest = hashlib.blake2b(doc.text.encode("utf8"), digest_size=16)
    digest.update(b"\x00")
    # to_array: iterating Tokens in Python cost ~0.1 s a step on 2,000-token batches
    digest.update(numpy.ascontiguousarray(doc.to_array([IDX]), dtype="int64").tobytes())
    return digest.hexdigest()


def encoder_fingerprint(module) -> str:
    """Digest of a torch encoder's config and weights, computed once per module object.

    Stored on the module itself: a module rebuilt by from_disk/from_bytes has no stored digest
    and gets a fresh one, so weights loaded later never reuse features of earlier weights.
    The weights are frozen in every model that uses the cache (models/features.py), so the
    digest stays true for the module's lifetime.
    """
    cached = getattr(module, FINGERPRINT_ATTR, None)
    if cached is not None:
        return cached
    import torch

    digest = hashlib.blake2b(digest_size=16)
    config = getattr(module, "config", None)
    if config is not None:
        digest.update(config.to_json_string(use_diff=False).encode("utf8"))
    with torch.no_grad():
        for name, tensor in module.state_dict().items():
            digest.update(name.encode("utf8"))
            digest.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    value = digest.hexdigest()
    object.__setattr__(module, FINGERPRINT_ATTR, value)
    return value
