"""Bootstrap confidence intervals over documents for micro F1.

Documents, not spans, are resampled (with replacement, as many as there are), because spans
of one document are not independent: a clinical case report repeats its disorders. Each
resample's micro F1 comes from its summed strict TP/FP/FN; the interval is the percentile
interval of those values. numpy's PCG64 generator seeded by `seed` makes it reproducible.
"""
from typing import Any, Dict, Sequence

import numpy

from .scoring import Counts, strict_counts
from .spans import DocSpans


def doc_count_matrix(docs: Sequence[DocSpans]) -> numpy.ndarray:
    """Strict micro TP, FP, FN per document, as an array of shape (n_docs, 3)."""
    rows = []
    for doc in docs:
        total = Counts()
        for counts in strict_counts(doc).values():
            total += counts
        rows.append((total.tp, total.fp, total.fn))
    return numpy.asarray(rows, dtype=numpy.int64).reshape(-1, 3)


def micro_f_from_counts(tp: numpy.ndarray, fp: numpy.ndarray, fn: numpy.ndarray) -> numpy.ndarray:
    """Micro F1 = 2TP / (2TP + FP + FN), 0 where undefined, elementwise."""
    denom = 2 * tp + fp + fn
    return numpy.where(denom > 0, 2 * tp / numpy.maximum(denom, 1), 0.0)


def bootstrap_micro_f(
    docs: Sequence[DocSpans], *, n_resamples: int = 1000, seed: int = 0, level: float = 0.95
) -> Dict[str, Any]:
    """A percentile bootstrap interval for strict micro F1 over documents.

    docs (Sequence[DocSpans]): the scored documents.
    n_resamples (int): how many resamples to draw.
    seed (int): the random seed.
    level (float): the confidence level, e.g. 0.95.
    RETURNS (Dict[str, Any]): f (on all docs), low, high, mean and std over resamples, and
        the settings (n_resamples, seed, level, n_docs, method).
    """
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be positive, got {n_resamples}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    counts = doc_count_matrix(docs)
    n_docs = counts.shape[0]
    result: Dict[str, Any] = {
        "metric": "strict micro F1",
        "method": "percentile bootstrap over documents",
        "n_resamples": n_resamples,
        "seed": seed,
        "level": level,
        "n_docs": n_docs,
    }
    if n_docs == 0:
        return {**result, "f": None, "low": None, "high": None, "mean": None, "std": None}
    total = counts.sum(axis=0)
    rng = numpy.random.default_rng(seed)
    samples = numpy.empty(n_resamples, dtype=float)
    # Chunks keep memory small for large corpora (n_docs x chunk indices at a time).
    chunk = max(1, min(n_resamples, 2_000_000 // max(n_docs, 1)))
    for begin in range(0, n_resamples, chunk):
        size = min(chunk, n_resamples - begin)
        idx = rng.integers(0, n_docs, size=(size, n_docs))
        sums = counts[idx].sum(axis=1)
        samples[begin : begin + size] = micro_f_from_counts(sums[:, 0], sums[:, 1], sums[:, 2])
    alpha = (1 - level) / 2
    low, high = numpy.quantile(samples, [alpha, 1 - alpha])
    f_all = float(micro_f_from_counts(total[0:1], total[1:2], total[2:3])[0])
    return {
        **result,
        "f": f_all,
        "low": float(low),
        "high": float(high),
        "mean": float(samples.mean()),
        "std": float(samples.std()),
    }
