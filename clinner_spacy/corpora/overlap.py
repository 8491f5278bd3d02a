"""Text overlap between corpora: which documents of one corpus are (mostly) texts of another.

Several public Spanish corpora annotate the same clinical cases: 32 of the 45 E3C-es test
documents are also SPACCC texts (DisTEMIST, SympTEMIST, MedProcNER). Training a Spanish pipeline
on SPACCC without removing them would train on the test texts. The check is on word 8-gram
shingles, so it still finds a text that was re-segmented, trimmed or lightly edited.
"""
from typing import Dict, Iterable, List, Optional, Set, Tuple

SHINGLE_WORDS = 8
DEFAULT_THRESHOLD = 0.05  # share of a document's shingles found in the reference texts


def shingles(text: str, n: int = SHINGLE_WORDS) -> Set[str]:
    """Lower-cased word n-grams of a text (the whole text as one shingle when shorter than n).

    text (str): the text.
    n (int): words per shingle.
    RETURNS (Set[str]): the shingles.
    """
    words = text.lower().split()
    if len(words) < n:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


class OverlapIndex:
    """Shingles of reference texts, each mapped to the ids of the texts that hold it."""

    def __init__(self, texts: Iterable[Tuple[str, str]], n: int = SHINGLE_WORDS) -> None:
        """Index (id, text) pairs.

        texts (Iterable[Tuple[str, str]]): reference ids and texts.
        n (int): words per shingle.
        """
        self.n = n
        self.index: Dict[str, List[str]] = {}
        for ref_id, text in texts:
            for shingle in shingles(text, n):
                self.index.setdefault(shingle, []).append(ref_id)

    def best_match(self, text: str) -> Tuple[Optional[str], float]:
        """The reference text sharing most shingles with `text`, and the share of its shingles.

        text (str): the text to look up.
        RETURNS (Tuple[Optional[str], float]): reference id (None if nothing is shared) and the
            share (0-1) of text's shingles that occur in the reference texts at all.
        """
        own = shingles(text, self.n)
        if not own:
            return None, 0.0
        counts: Dict[str, int] = {}
        found = 0
        for shingle in own:
            refs = self.index.get(shingle)
            if refs:
                found += 1
                for ref_id in set(refs):
                    counts[ref_id] = counts.get(ref_id, 0) + 1
        if not counts:
            return None, 0.0
        best = max(counts.items(), key=lambda kv: (kv[1], kv[0]))[0]
        return best, found / len(own)
