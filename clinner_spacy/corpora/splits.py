"""Seeded, document-level split carving for corpora without an official dev or test set.

Splitting by document (never by sentence) keeps one patient's case out of two splits. The
carve is a seeded permutation of the sorted ids, so it depends only on the id list and the
seed, not on file system order.
"""
import random
from typing import Dict, Iterable


def carve(
    doc_ids: Iterable[str],
    *,
    dev_fraction: float = 0.2,
    test_fraction: float = 0.0,
    seed: int = 0,
) -> Dict[str, str]:
    """Assign each document id to "train", "dev" or "test".

    test_fraction of all documents go to test first; dev_fraction of the rest go to dev.

    doc_ids (Iterable[str]): the documents to split.
    dev_fraction (float): share of the non-test documents that go to dev.
    test_fraction (float): share of all documents that go to test (0 keeps an official test).
    seed (int): the random seed.
    RETURNS (Dict[str, str]): doc id -> split.
    """
    for name, value in (("dev_fraction", dev_fraction), ("test_fraction", test_fraction)):
        if not 0.0 <= value < 1.0:
            raise ValueError(f"{name} must be in [0, 1), got {value}")
    ids = sorted(set(doc_ids))
    random.Random(seed).shuffle(ids)
    n_test = round(test_fraction * len(ids))
    n_dev = round(dev_fraction * (len(ids) - n_test))
    splits = {}
    for i, doc_id in enumerate(ids):
        splits[doc_id] = "test" if i < n_test else "dev" if i < n_test + n_dev else "train"
    return splits
