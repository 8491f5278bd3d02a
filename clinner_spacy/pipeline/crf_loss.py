"""Partial-label likelihood of a linear-chain CRF over BIO tags (the clinner.CRFTagger.v1 head).

A path y scores s(y) = start[y_0] + sum_t E[t, y_t] + sum_t T[y_{t-1}, y_t] + end[y_last] over
the valid BIO paths (tags.bio_constraints: forbidden moves are -inf in both lattices below).
A partially annotated doc (tags.allowed_tag_mask) does not name one path but a set of them, the
paths whose every tag its annotation allows (tokens with missing annotation allow every tag).
The loss is minus the log of that set's probability:

    loss = log Z(all valid paths) - log Z(valid paths consistent with the mask)

With every mask a single tag this is the ordinary CRF negative log-likelihood. Its gradient is
expected counts under the full lattice minus those under the constrained one: node marginals
for the emissions and the start/end scores, edge marginals for the transitions. Both lattices
are run as one padded numpy batch of 2 x n_docs sequences (forward-backward in log space).
"""
from typing import Dict, List, Sequence, Tuple

import numpy

from ..util import logger
from .tags import bio_constraints

NEG_INF = -numpy.inf


def crf_partial_label_loss(
    emissions: Sequence[numpy.ndarray],
    allowed: Sequence[numpy.ndarray],
    has_loss: Sequence[numpy.ndarray],
    transitions: numpy.ndarray,
    start: numpy.ndarray,
    end: numpy.ndarray,
    *,
    normalize: bool = True,
) -> Tuple[float, List[numpy.ndarray], Dict[str, numpy.ndarray]]:
    """Negative log probability of the paths each doc's annotation allows, and its gradients.

    A doc whose mask admits no valid BIO path (only possible with inconsistent gold) adds
    nothing and is logged, rather than making the batch's loss infinite.

    emissions (Sequence[ndarray]): per doc, (n_tokens, n_tags) emission scores.
    allowed (Sequence[ndarray]): per doc, (n_tokens, n_tags) bool, the tags its annotation permits.
    has_loss (Sequence[ndarray]): per doc, (n_tokens,) bool, False for missing annotation; only
        counted, for the normalisation (a missing token already allows every tag).
    transitions (ndarray): (n_tags, n_tags) scores [prev, next].
    start (ndarray): (n_tags,) first-tag scores.
    end (ndarray): (n_tags,) last-tag scores.
    normalize (bool): divide loss and gradients by the number of supervised tokens, as the
        softmax loss (loss.partial_label_loss) does.
    RETURNS (Tuple[float, List[ndarray], Dict[str, ndarray]]): the loss, d(loss)/d(emissions)
        per doc (float32), and d(loss)/d of "transitions", "start" and "end".
    """
    n_tags = transitions.shape[0]
    d_emissions = [numpy.zeros((len(e), n_tags), dtype="f4") for e in emissions]
    grads = {"transitions": numpy.zeros((n_tags, n_tags), dtype="f4"),
             "start": numpy.zeros((n_tags,), dtype="f4"), "end": numpy.zeros((n_tags,), dtype="f4")}
    keep = [i for i, e in enumerate(emissions) if len(e)]
    if not keep:
        return 0.0, d_emissions, grads
    n = len(keep)
    # rows 0..n-1: the full lattice; rows n..2n-1: the same docs, constrained by their masks
    batch = [emissions[i] for i in keep] * 2
    masks = [numpy.ones_like(allowed[i], dtype=bool) for i in keep] + [allowed[i] for i in keep]
    log_z, nodes, edges = forward_backward(batch, masks, transitions, start, end)
    feasible = numpy.isfinite(log_z[n:])
    if not feasible.all():
        logger.warning("%d doc(s) in the batch have annotation that no valid BIO path fits; "
                       "they are left out of the CRF loss", int((~feasible).sum()))
    weight = numpy.concatenate([feasible, feasible]).astype("f8")
    sign = numpy.concatenate([numpy.ones(n), -numpy.ones(n)]) * weight
    n_sup = float(sum(int(numpy.sum(has_loss[i])) for i, ok in zip(keep, feasible) if ok))
    scale = 1.0 / n_sup if normalize and n_sup > 0 else 1.0
    safe_z = numpy.where(numpy.isfinite(log_z), log_z, 0.0)
    loss = float((sign * safe_z).sum()) * scale
    signed = nodes * sign[:, None, None]
    d_nodes = signed[:n] + signed[n:]  # full minus constrained, per doc
    lengths = [len(emissions[i]) for i in keep]
    for row, (i, length) in enumerate(zip(keep, lengths)):
        d_emissions[i] = (d_nodes[row, :length] * scale).astype("f4")
    grads["transitions"] = (numpy.einsum("b,bij->ij", sign, edges) * scale).astype("f4")
    grads["start"] = (d_nodes[:, 0].sum(axis=0) * scale).astype("f4")
    last = numpy.array(lengths) - 1
    grads["end"] = (d_nodes[numpy.arange(n), last].sum(axis=0) * scale).astype("f4")
    return loss, d_emissions, grads


def crf_marginals(
    emissions: Sequence[numpy.ndarray],
    transitions: numpy.ndarray,
    start: numpy.ndarray,
    end: numpy.ndarray,
) -> List[numpy.ndarray]:
    """Per-token tag probabilities under the CRF (valid BIO paths only), e.g. as confidences.

    RETURNS (List[ndarray]): per doc, (n_tokens, n_tags) float32 marginals; rows sum to 1.
    """
    n_tags = transitions.shape[0]
    out = [numpy.zeros((0, n_tags), dtype="f4") for _ in emissions]
    keep = [i for i, e in enumerate(emissions) if len(e)]
    if keep:
        batch = [emissions[i] for i in keep]
        masks = [numpy.ones(e.shape, dtype=bool) for e in batch]
        _, nodes, _ = forward_backward(batch, masks, transitions, start, end)
        for row, i in enumerate(keep):
            out[i] = nodes[row, : len(emissions[i])].astype("f4")
    return out


def forward_backward(
    emissions: Sequence[numpy.ndarray],
    allowed: Sequence[numpy.ndarray],
    transitions: numpy.ndarray,
    start: numpy.ndarray,
    end: numpy.ndarray,
) -> Tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """Log partition function and marginals of a batch of masked BIO lattices (float64).

    Docs are padded to the longest; past its end a doc's forward scores are carried over
    unchanged and its backward scores stay at `end`, so each doc's log Z is read at the last
    position and padding gets zero marginals.

    emissions (Sequence[ndarray]): per doc, (n_tokens >= 1, n_tags) emission scores.
    allowed (Sequence[ndarray]): per doc, (n_tokens, n_tags) bool; disallowed tags are -inf.
    transitions, start, end (ndarray): the CRF scores (see module docstring).
    RETURNS (Tuple[ndarray, ndarray, ndarray]): log Z (n_docs,) (-inf: no path fits the mask),
        node marginals (n_docs, n_max, n_tags), and edge marginals summed over positions
        (n_docs, n_tags, n_tags).
    """
    n_docs, n_tags = len(emissions), transitions.shape[0]
    lengths = numpy.array([len(e) for e in emissions])
    n_max = int(lengths.max())
    valid = numpy.arange(n_max)[None, :] < lengths[:, None]  # (docs, n_max)
    scores = numpy.full((n_docs, n_max, n_tags), NEG_INF)
    for d, (e, mask) in enumerate(zip(emissions, allowed)):
        scores[d, : len(e)] = numpy.where(mask, numpy.asarray(e, dtype="f8"), NEG_INF)
    ok, first = bio_constraints(n_tags)
    trans = numpy.where(ok, numpy.asarray(transitions, dtype="f8"), NEG_INF)
    start = numpy.where(first, numpy.asarray(start, dtype="f8"), NEG_INF)
    end = numpy.asarray(end, dtype="f8")
    alpha = numpy.empty((n_docs, n_max, n_tags))
    beta = numpy.empty((n_docs, n_max, n_tags))
    alpha[:, 0] = start + scores[:, 0]
    for t in range(1, n_max):
        step = logsumexp(alpha[:, t - 1, :, None] + trans[None], axis=1) + scores[:, t]
        alpha[:, t] = numpy.where(valid[:, t, None], step, alpha[:, t - 1])
    beta[:, -1] = end
    for t in range(n_max - 2, -1, -1):
        step = logsumexp(trans[None] + (scores[:, t + 1] + beta[:, t + 1])[:, None, :], axis=2)
        beta[:, t] = numpy.where(valid[:, t + 1, None], step, end)
    log_z = logsumexp(alpha[:, -1] + end, axis=1)
    safe_z = numpy.where(numpy.isfinite(log_z), log_z, 0.0)[:, None, None]
    # an infeasible doc has alpha + beta = -inf everywhere, so its marginals come out 0
    nodes = numpy.exp(alpha + beta - safe_z) * valid[:, :, None]
    edges = numpy.zeros((n_docs, n_tags, n_tags))
    if n_max > 1:
        pair = (alpha[:, :-1, :, None] + trans[None, None]
                + (scores[:, 1:] + beta[:, 1:])[:, :, None, :] - safe_z[..., None])
        edges = numpy.einsum("btij,bt->bij", numpy.exp(pair), valid[:, 1:].astype("f8"))
    return log_z, nodes, edges


def logsumexp(x: numpy.ndarray, axis: int) -> numpy.ndarray:
    """log(sum(exp(x))) along axis, -inf (no warning) where every entry is -inf."""
    peak = x.max(axis=axis, keepdims=True)
    peak = numpy.where(numpy.isfinite(peak), peak, 0.0)
    with numpy.errstate(divide="ignore"):
        out = numpy.log(numpy.exp(x - peak).sum(axis=axis, keepdims=True)) + peak
    return numpy.squeeze(out, axis=axis)
