"""The one overlap policy applied to every corpus after label mapping.

spaCy's doc.ents holds flat, contiguous, token-aligned spans; clinical corpora have nested,
overlapping and discontinuous mentions. The policy below turns any set of mentions into such
spans, deterministically, and counts each change in the ConversionReport (report.py):

1. A discontinuous mention (RawSpan.fragments with 2+ parts) becomes its first contiguous
   fragment: "discontinuous_truncated".
2. Leading and trailing whitespace inside a span is trimmed: "whitespace_trimmed".
3. A span whose edges fall inside tokens is expanded to token boundaries
   (Doc.char_span(alignment_mode="expand")): "boundary_expanded"; a span that covers no token
   is dropped: "unalignable_dropped".
4. Spans with the same tokens and label after alignment keep one: "duplicate_dropped". Besides
   exact duplicates, this happens when two mentions sit inside one token and both expand to it
   (spaCy's Spanish tokenizer keeps "Carboplatino-Gemcitabina" as one token).
5. Overlapping or nested spans: the longer span in characters (the outer one) is kept; ties go to
   the earlier start, then to the label that comes first in schema.LABELS. The others are
   dropped: "overlap_dropped".

Every mention, kept or not, also goes to doc.spans[ALL_SPANS_KEY] (after steps 1-4), so that
nested annotation stays available to span-based components and to error analysis.
"""
from dataclasses import dataclass
from typing import List, Sequence, Tuple

from spacy.tokens import Doc, Span

from ..schema import LABELS
from .base import RawSpan
from .report import ConversionReport

ALL_SPANS_KEY = "clinner_all"


@dataclass
class _Candidate:
    span: Span
    source: str

    @property
    def key(self) -> Tuple[int, int, int]:
        # Sort key of rule 5: longer first, then earlier start, then schema label order.
        s = self.span
        return (-(s.end_char - s.start_char), s.start_char, LABELS.index(s.label_))


def align(doc: Doc, raw: RawSpan, label: str, split: str, report: ConversionReport, text: str = None) -> Span:
    """Turn one mapped mention into a token-aligned Span (rules 1-3), or None when impossible.

    doc (Doc): the tokenised document.
    raw (RawSpan): the mention, with character offsets into doc.text.
    label (str): its schema label.
    split (str): the split the document belongs to, for the report.
    report (ConversionReport): where changes are counted.
    text (str): doc.text, passed in because Doc.text is rebuilt from the tokens on each access.
    RETURNS (Optional[Span]): the aligned span, or None if it was dropped (and counted).
    """
    start, end = raw.start, raw.end
    if raw.is_discontinuous:
        start, end = raw.fragments[0]
        report.count(split, label, "discontinuous_truncated")
    text = doc.text if text is None else text
    trimmed_start, trimmed_end = start, end
    while trimmed_start < trimmed_end and text[trimmed_start].isspace():
        trimmed_start += 1
    while trimmed_end > trimmed_start and text[trimmed_end - 1].isspace():
        trimmed_end -= 1
    if (trimmed_start, trimmed_end) != (start, end):
        report.count(split, label, "whitespace_trimmed")
        start, end = trimmed_start, trimmed_end
    if start >= end:
        report.count(split, label, "unalignable_dropped")
        return None
    span = doc.char_span(start, end, label=label)
    if span is None:
        span = doc.char_span(start, end, label=label, alignment_mode="expand")
        if span is None or len(span) == 0:
            report.count(split, label, "unalignable_dropped")
            return None
        report.count(split, label, "boundary_expanded")
    return span


def resolve(
    doc: Doc,
    mentions: Sequence[Tuple[RawSpan, str]],
    split: str,
    report: ConversionReport,
) -> Tuple[List[Span], List[Span]]:
    """Apply the whole policy to a document's mapped mentions.

    doc (Doc): the tokenised document.
    mentions (Sequence[Tuple[RawSpan, str]]): each mention with its schema label.
    split (str): the document's split, for the report.
    report (ConversionReport): where changes are counted.
    RETURNS (Tuple[List[Span], List[Span]]): the flat spans for doc.ents, sorted, and every
        aligned, de-duplicated span (for doc.spans[ALL_SPANS_KEY]).
    """
    candidates: List[_Candidate] = []
    seen = set()
    text = doc.text
    for raw, label in mentions:
        span = align(doc, raw, label, split, report, text)
        if span is None:
            continue
        ident = (span.start, span.end, span.label_)
        if ident in seen:
            report.count(split, label, "duplicate_dropped")
            continue
        seen.add(ident)
        candidates.append(_Candidate(span, raw.source))
    taken = [False] * len(doc)
    kept: List[Span] = []
    for cand in sorted(candidates, key=lambda c: c.key):
        span = cand.span
        if any(taken[span.start : span.end]):
            report.count(split, span.label_, "overlap_dropped")
            continue
        taken[span.start : span.end] = [True] * len(span)
        kept.append(span)
    every = sorted((c.span for c in candidates), key=lambda s: (s.start, s.end, s.label_))
    return sorted(kept, key=lambda s: s.start), every
