"""Partial-label marginal likelihood (pipeline/loss.py) on hand-computed values."""
import math

import numpy
import pytest

from clinner_spacy.pipeline.loss import partial_label_loss


def softmax(z):
    e = numpy.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_hand_computed_value_and_gradient():
    probs = numpy.array([[0.5, 0.2, 0.1, 0.15, 0.05]], dtype="f4")
    allowed = numpy.array([[True, False, False, True, True]])
    loss, d = partial_label_loss(probs, allowed, numpy.array([True]))
    # -log(0.5 + 0.15 + 0.05)
    assert loss == pytest.approx(-math.log(0.7), rel=1e-5)
    # p - p * allowed / 0.7
    expected = [0.5 - 0.5 / 0.7, 0.2, 0.1, 0.15 - 0.15 / 0.7, 0.05 - 0.05 / 0.7]
    assert d[0].tolist() == pytest.approx(expected, abs=1e-6)


def test_reduces_to_cross_entropy_when_all_labels_annotated():
    rng = numpy.random.default_rng(0)
    probs = softmax(rng.normal(size=(6, 5))).astype("f4")
    gold = rng.integers(0, 5, size=6)
    onehot = numpy.eye(5, dtype=bool)[gold]
    loss, d = partial_label_loss(probs, onehot, numpy.ones(6, dtype=bool))
    ce = -numpy.log(probs[numpy.arange(6), gold]).mean()
    assert loss == pytest.approx(float(ce), rel=1e-5)
    assert numpy.allclose(d, (probs - onehot) / 6, atol=1e-6)


def test_missing_tokens_carry_no_loss_or_gradient():
    probs = numpy.full((3, 5), 0.2, dtype="f4")
    allowed = numpy.eye(5, dtype=bool)[[1, 0, 0]]
    loss, d = partial_label_loss(probs, allowed, numpy.array([True, False, False]))
    assert loss == pytest.approx(-math.log(0.2), rel=1e-5)
    assert not d[1:].any()


def test_all_tags_allowed_gives_zero_loss():
    probs = softmax(numpy.random.default_rng(2).normal(size=(2, 5))).astype("f4")
    loss, d = partial_label_loss(probs, numpy.ones((2, 5), bool), numpy.ones(2, bool))
    assert loss == pytest.approx(0.0, abs=1e-6)
    assert numpy.allclose(d, 0.0, atol=1e-6)


def test_gradient_matches_finite_differences_on_logits():
    rng = numpy.random.default_rng(3)
    logits = rng.normal(size=(1, 5))
    allowed = numpy.array([[True, False, True, False, True]])

    def f(z):
        return partial_label_loss(softmax(z), allowed, numpy.array([True]))[0]

    _, d = partial_label_loss(softmax(logits), allowed, numpy.array([True]))
    eps = 1e-3
    for j in range(5):
        up, down = logits.copy(), logits.copy()
        up[0, j] += eps
        down[0, j] -= eps
        assert d[0, j] == pytest.approx((f(up) - f(down)) / (2 * eps), abs=1e-3)


def test_no_supervised_tokens():
    loss, d = partial_label_loss(numpy.full((2, 3), 1 / 3, "f4"), numpy.ones((2, 3), bool),
                                 numpy.zeros(2, bool))
    assert loss == 0.0 and not d.any()
