"""Multi-kernel RBF MMD^2 with its analytic gradient, and La-DTL's label-aware sum of it.

La-DTL (Wang et al. 2018, "Label-aware Double Transfer Learning for Cross-Specialty Medical
NER") pulls the source-domain and target-domain token representations of each gold label
together: for every label y (O included), MMD^2 between the vectors of the source tokens
tagged y and those of the target tokens tagged y, summed over y. Aligning per label rather than
over all tokens keeps the alignment from mapping a target DISORDER onto a source DRUG.

The kernel is their code's: a sum over LADTL_SIGMAS of exp(-d^2 / (2 sigma)) (sigma acts as a
variance), and MMD^2 is the biased (V-statistic) estimate
mean K(X, X) + mean K(Y, Y) - 2 mean K(X, Y), floored at 0 as their code does. The La-DTL
repository is not in our reference store; the widths and the formula are those of the same
lab's AMTTL penalty.py (adapt-sjtu/AMTTL), which the paper's description matches.

Computed in float64 numpy: the widest kernels (sigma 1e6) give values within 1e-6 of 1, whose
differences float32 would lose. Cost per label: O((n + m)^2 * (dims + kernels)) for n, m tokens,
which the caller bounds by subsampling (see pipeline/mmd.py).
"""
from typing import Dict, Hashable, Sequence, Tuple

import numpy

# exp(-d^2 / (2 sigma)) for each sigma; La-DTL / AMTTL's 19 widths
LADTL_SIGMAS: Tuple[float, ...] = (
    1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 35.0, 100.0,
    1e3, 1e4, 1e5, 1e6,
)


def mmd2(
    X: numpy.ndarray, Y: numpy.ndarray, sigmas: Sequence[float] = LADTL_SIGMAS
) -> Tuple[float, numpy.ndarray, numpy.ndarray]:
    """Biased multi-kernel MMD^2 between two sets of vectors, and its gradient.

    With Z = [X; Y] and c_i = 1/n for rows of X, -1/m for rows of Y, MMD^2 = c' K c, so
    d MMD^2 / d z_i = -2 c_i sum_j c_j W_ij (z_i - z_j), where W = sum_s K_s / s
    (d k_s(a, b) / d a = -k_s(a, b) (a - b) / s).

    X (ndarray): (n, d) vectors of one domain, n >= 1.
    Y (ndarray): (m, d) vectors of the other domain, m >= 1.
    sigmas (Sequence[float]): kernel widths.
    RETURNS (Tuple[float, ndarray, ndarray]): MMD^2 (>= 0), d/dX (n, d), d/dY (m, d); the
        gradients are float64, zero where the estimate was floored at 0.
    """
    X = numpy.asarray(X, dtype="float64")
    Y = numpy.asarray(Y, dtype="float64")
    if X.ndim != 2 or Y.ndim != 2 or X.shape[1] != Y.shape[1] or not len(X) or not len(Y):
        raise ValueError(f"mmd2 needs two non-empty (n, d) and (m, d) arrays, got {X.shape} and {Y.shape}")
    n = X.shape[0]
    Z = numpy.concatenate([X, Y])
    sq = (Z * Z).sum(axis=1)
    D = numpy.maximum(sq[:, None] + sq[None, :] - 2.0 * Z @ Z.T, 0.0)
    # exactly 0, not the expansion's rounding error: at sigma 1e-6 that error alone moves k_ii
    numpy.fill_diagonal(D, 0.0)
    c = numpy.concatenate([numpy.full(n, 1.0 / n), numpy.full(Y.shape[0], -1.0 / Y.shape[0])])
    K = numpy.zeros_like(D)
    W = numpy.zeros_like(D)
    for sigma in sigmas:
        k = numpy.exp(-D / (2.0 * sigma))
        K += k
        W += k / sigma
    value = float(c @ K @ c)
    if value <= 0.0:
        return 0.0, numpy.zeros_like(X), numpy.zeros_like(Y)
    Wc = W @ c
    dZ = -2.0 * c[:, None] * (Z * Wc[:, None] - W @ (c[:, None] * Z))
    return value, dZ[:n], dZ[n:]


def label_aware_mmd2(
    vectors: numpy.ndarray,
    labels: Sequence[Hashable],
    is_source: numpy.ndarray,
    sigmas: Sequence[float] = LADTL_SIGMAS,
) -> Tuple[float, numpy.ndarray, Dict[Hashable, float]]:
    """sum_y MMD^2(source vectors of label y, target vectors of label y), and its gradient.

    Labels seen in one domain only contribute nothing (there is nothing to align them with).

    vectors (ndarray): (N, d) token vectors (already subsampled).
    labels (Sequence[Hashable]): N labels, one per row.
    is_source (ndarray): N booleans, True for source-domain rows, False for target rows.
    sigmas (Sequence[float]): kernel widths.
    RETURNS (Tuple[float, ndarray, Dict]): the sum, d/dvectors (N, d) float64, MMD^2 per label.
    """
    vectors = numpy.asarray(vectors, dtype="float64")
    labels = numpy.asarray(labels, dtype=object)
    is_source = numpy.asarray(is_source, dtype=bool)
    grad = numpy.zeros_like(vectors)
    total, per_label = 0.0, {}
    for label in sorted(set(labels.tolist()), key=str):
        rows = labels == label
        src, tgt = numpy.flatnonzero(rows & is_source), numpy.flatnonzero(rows & ~is_source)
        if not len(src) or not len(tgt):
            continue
        value, d_src, d_tgt = mmd2(vectors[src], vectors[tgt], sigmas)
        grad[src] += d_src
        grad[tgt] += d_tgt
        per_label[label] = value
        total += value
    return total, grad, per_label
