"""Partial-label marginal likelihood over per-token tag distributions.

For each supervised token t with allowed tag set S_t (see tags.allowed_tag_mask), the loss is
-log sum_{y in S_t} p_t(y). With S_t a single tag this is ordinary cross-entropy. Its gradient
with respect to the softmax logits is p_t - q_t, where q_t is p_t renormalised over S_t (the
posterior over the allowed tags): thinc's Softmax backpropagates such a "guesses minus
targets" gradient, the same form that categorical cross-entropy hands it.
"""
from typing import Tuple

import numpy

# Floor for the allowed probability mass, so that log and division stay finite when a
# model is (wrongly) certain of a forbidden tag.
MIN_MASS = 1e-12


def partial_label_loss(
    probs: numpy.ndarray,
    allowed: numpy.ndarray,
    has_loss: numpy.ndarray,
    *,
    normalize: bool = True,
) -> Tuple[float, numpy.ndarray]:
    """Negative log marginal likelihood of the allowed tags, and its gradient.

    probs (ndarray): (n_tokens, n_tags) softmax outputs.
    allowed (ndarray): (n_tokens, n_tags) bool, the tags each token's annotation permits.
    has_loss (ndarray): (n_tokens,) bool, False for tokens with missing annotation.
    normalize (bool): divide loss and gradient by the number of supervised tokens.
    RETURNS (Tuple[float, ndarray]): the loss, and d(loss)/d(logits) shaped like probs.
    """
    probs = numpy.asarray(probs, dtype="f4")
    weights = numpy.asarray(has_loss, dtype="f4")
    allowed_probs = probs * allowed
    mass = numpy.maximum(allowed_probs.sum(axis=1), MIN_MASS)
    loss = float(-(numpy.log(mass) * weights).sum())
    d_logits = (probs - allowed_probs / mass[:, None]) * weights[:, None]
    n = float(weights.sum())
    if normalize and n > 0:
        loss /= n
        d_logits /= n
    return loss, d_logits.astype("f4", copy=False)
