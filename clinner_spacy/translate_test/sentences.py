"""What is translated as one piece: the sentences of the original doc, as token ranges.

Sentence by sentence, as train-time projection does (projection/units.py), so that every
translation is a cache entry that other runs share, and an alignment never spans more than one
sentence pair (the argmax alignment degrades on long inputs, and encoders have a length limit).
A doc without sentence boundaries is split with spaCy's rule-based Sentencizer, without
changing the doc. Whitespace-only sentences are skipped: they carry nothing to translate.
"""
from typing import List, Tuple

from spacy.pipeline import Sentencizer
from spacy.tokens import Doc

_SENTENCIZER = Sentencizer()


def sentence_ranges(doc: Doc) -> List[Tuple[int, int]]:
    """RETURNS (List[Tuple[int, int]]): (start, end) token ranges of the doc's non-blank sentences."""
    if len(doc) == 0:
        return []
    if doc.has_annotation("SENT_START"):
        starts = [token.is_sent_start for token in doc]
    else:
        starts = _SENTENCIZER.predict([doc])[0]
    bounds = [i for i, start in enumerate(starts) if start or i == 0] + [len(doc)]
    return [(s, e) for s, e in zip(bounds, bounds[1:]) if not all(t.is_space for t in doc[s:e])]


def content_tokens(doc: Doc, start: int, end: int) -> List[int]:
    """RETURNS (List[int]): the indices of the non-whitespace tokens in start..end-1 (what is aligned)."""
    return [i for i in range(start, end) if not doc[i].is_space]
