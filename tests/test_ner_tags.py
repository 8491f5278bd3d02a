"""BIO tags, partial-label masks and constrained Viterbi (pipeline/tags.py)."""
import itertools

import numpy
import pytest

from clinner_spacy.pipeline.tags import (
    allowed_tag_mask,
    biluo_to_bio,
    make_tags,
    tags_to_spans,
    viterbi_bio,
    viterbi_bio_batch,
)

LABELS = ["DISORDER", "DRUG"]
TAGS = make_tags(LABELS)


def is_valid(path):
    prev = 0
    for tag in path:
        if tag > 0 and tag % 2 == 0 and prev not in (tag - 1, tag):
            return False
        prev = tag
    return True


def test_make_tags_layout():
    assert TAGS == ["O", "B-DISORDER", "I-DISORDER", "B-DRUG", "I-DRUG"]


@pytest.mark.parametrize(
    "biluo,bio",
    [("O", "O"), ("B-DRUG", "B-DRUG"), ("U-DRUG", "B-DRUG"), ("I-X", "I-X"), ("L-X", "I-X"),
     (None, None), ("-", None), ("", None)],
)
def test_biluo_to_bio(biluo, bio):
    assert biluo_to_bio(biluo) == bio


def test_allowed_mask_partial_labels():
    # corpus annotates DISORDER only: an "O" token may still be a DRUG
    mask, has_loss = allowed_tag_mask(["B-DISORDER", "O", None, "B-OTHER"], LABELS, ["DISORDER"])
    assert mask[0].tolist() == [False, True, False, False, False]
    assert mask[1].tolist() == [True, False, False, True, True]
    assert mask[2].all() and not has_loss[2]
    # an entity of a label the model lacks is "not one of ours", like "O"
    assert mask[3].tolist() == mask[1].tolist()
    assert has_loss.tolist() == [True, True, False, True]


def test_allowed_mask_all_annotated_is_one_hot():
    mask, has_loss = allowed_tag_mask(["B-DRUG", "I-DRUG", "O"], LABELS, LABELS)
    assert mask.sum(axis=1).tolist() == [1, 1, 1]
    assert numpy.argmax(mask, axis=1).tolist() == [3, 4, 0]
    assert has_loss.all()


def test_viterbi_never_starts_or_jumps_into_inside():
    rng = numpy.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(1, 12))
        log_probs = numpy.log(rng.dirichlet(numpy.ones(len(TAGS)) * 0.3, size=n) + 1e-9)
        assert is_valid(viterbi_bio(log_probs))


def test_viterbi_matches_brute_force():
    rng = numpy.random.default_rng(1)
    for _ in range(20):
        n = 4
        log_probs = numpy.log(rng.dirichlet(numpy.ones(len(TAGS)), size=n))
        best = max(
            (p for p in itertools.product(range(len(TAGS)), repeat=n) if is_valid(p)),
            key=lambda p: sum(log_probs[t, tag] for t, tag in enumerate(p)),
        )
        assert viterbi_bio(log_probs).tolist() == list(best)


def test_viterbi_repairs_stray_inside():
    # argmax would say I-DRUG first; the valid best is B-DRUG I-DRUG
    probs = numpy.array([[0.1, 0.0, 0.0, 0.4, 0.5], [0.1, 0.0, 0.0, 0.1, 0.8]])
    log_probs = numpy.log(probs + 1e-9)
    assert viterbi_bio(log_probs).tolist() == [3, 4]


def test_viterbi_empty():
    assert viterbi_bio(numpy.zeros((0, len(TAGS)))).shape == (0,)


def test_tags_to_spans():
    # O B-DIS I-DIS B-DIS B-DRUG I-DRUG O
    assert tags_to_spans([0, 1, 2, 1, 3, 4, 0], LABELS) == [
        (1, 3, "DISORDER"), (3, 4, "DISORDER"), (4, 6, "DRUG"),
    ]
    assert tags_to_spans([3, 4], LABELS) == [(0, 2, "DRUG")]
    assert tags_to_spans([], LABELS) == []


def test_viterbi_batch_equals_one_by_one():
    rng = numpy.random.default_rng(4)
    docs = [numpy.log(rng.dirichlet(numpy.ones(len(TAGS)), size=n)) for n in (5, 0, 1, 17, 3)]
    paths = viterbi_bio_batch(docs)
    assert [len(p) for p in paths] == [5, 0, 1, 17, 3]
    for doc, path in zip(docs, paths):
        assert path.tolist() == viterbi_bio(doc).tolist()
    assert viterbi_bio_batch([]) == []
