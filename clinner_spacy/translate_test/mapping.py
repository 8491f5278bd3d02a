"""English predicted spans onto the original tokens, through a word alignment.

A span of English tokens maps to the smallest contiguous range of original tokens that covers
every original token aligned to one of its English tokens: reordering inside a phrase
("malignant tumor" -> "tumor maligno") is absorbed, and a word the aligner skipped inside the
phrase is covered. A span none of whose tokens is aligned is dropped (counted as unaligned).
Mapped spans may overlap (two English entities aligned to one word); the longest is kept, then
the earliest, and every span given up is counted. Nothing here guesses a position.
"""
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

#: (start, end, label): a token range, end exclusive
TokenSpan = Tuple[int, int, str]


@dataclass
class MappedSpans:
    """The result of map_spans: spans on original tokens, and what was given up."""

    spans: List[TokenSpan] = field(default_factory=list)
    unaligned: List[TokenSpan] = field(default_factory=list)  # English spans without an aligned token
    overlapping: List[TokenSpan] = field(default_factory=list)  # mapped spans dropped for an overlap

    def counts(self) -> Dict[str, int]:
        """RETURNS (Dict[str, int]): kept, unaligned and overlap-dropped spans."""
        return {"kept": len(self.spans), "unaligned": len(self.unaligned), "overlap_dropped": len(self.overlapping)}


def english_to_original(pairs: Iterable[Tuple[int, int]]) -> Dict[int, List[int]]:
    """RETURNS (Dict[int, List[int]]): English token -> the original tokens aligned to it."""
    out: Dict[int, List[int]] = {}
    for orig, en in pairs:
        out.setdefault(en, []).append(orig)
    return out


def map_span(start: int, end: int, en2orig: Dict[int, List[int]]) -> Optional[Tuple[int, int]]:
    """The original token range covering the alignments of English tokens start..end-1.

    RETURNS (Optional[Tuple[int, int]]): (start, end) on the original tokens, None if unaligned.
    """
    aligned = [i for j in range(start, end) for i in en2orig.get(j, ())]
    if not aligned:
        return None
    return min(aligned), max(aligned) + 1


def resolve_overlaps(spans: Sequence[TokenSpan]) -> Tuple[List[TokenSpan], List[TokenSpan]]:
    """Keep non-overlapping spans, longest first, then earliest.

    RETURNS (Tuple[List[TokenSpan], List[TokenSpan]]): the kept spans in text order, the dropped ones.
    """
    kept: List[TokenSpan] = []
    dropped: List[TokenSpan] = []
    taken = set()
    for span in sorted(spans, key=lambda s: (-(s[1] - s[0]), s[0], s[2])):
        tokens = set(range(span[0], span[1]))
        if tokens & taken:
            dropped.append(span)
        else:
            kept.append(span)
            taken |= tokens
    return sorted(kept), dropped


def map_spans(spans: Sequence[TokenSpan], pairs: Iterable[Tuple[int, int]]) -> MappedSpans:
    """Map English token spans onto original tokens and resolve overlaps.

    spans (Sequence[TokenSpan]): predicted spans on the English tokens.
    pairs (Iterable[Tuple[int, int]]): the alignment, (original token, English token).
    RETURNS (MappedSpans): the spans on the original tokens, and the counts of what was lost.
    """
    en2orig = english_to_original(pairs)
    out = MappedSpans()
    mapped: List[TokenSpan] = []
    for start, end, label in spans:
        target = map_span(start, end, en2orig)
        if target is None:
            out.unaligned.append((start, end, label))
        else:
            mapped.append((target[0], target[1], label))
    # the same original range predicted twice (two English mentions of one word) is one span
    out.spans, out.overlapping = resolve_overlaps(list(dict.fromkeys(mapped)))
    return out
