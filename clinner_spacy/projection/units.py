"""The source side of projection: which text is translated as one piece, with which entities.

A unit is one source sentence, or several consecutive sentences merged because an entity
crosses the boundary between them (a marker pair must stay inside one translator input). A doc
without sentence boundaries is one unit. Whitespace-only sentences carry no text to translate and
are folded into the unit before them.
"""
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Sequence, Tuple

from spacy.tokens import Doc

ENTS_KEY = "ents"  # origin of entities read from doc.ents (other origins are doc.spans keys)


@dataclass
class SourceEntity:
    """A gold entity to carry over; offsets are characters in the source doc."""

    origins: Tuple[str, ...]  # "ents" and/or the doc.spans keys it came from
    start: int
    end: int
    label: str
    text: str


@dataclass
class Unit:
    """Source text translated in one piece.

    start (int), end (int): character range in the source doc (whitespace trimmed).
    sentences (int): how many source sentences it holds (more than 1 when merged).
    entities (List[SourceEntity]): entities inside it, in the order their markers are numbered.
    """

    doc_index: int
    start: int
    end: int
    text: str
    sentences: int = 1
    entities: List[SourceEntity] = field(default_factory=list)

    def local(self, ent: SourceEntity) -> Tuple[int, int]:
        """The entity's offsets inside the unit text."""
        return ent.start - self.start, ent.end - self.start


def source_entities(doc: Doc, span_keys: Sequence[str] = ()) -> List[SourceEntity]:
    """doc.ents and the named span groups, each (start, end, label) once, in text order."""
    seen: Dict[Tuple[int, int, str], SourceEntity] = {}
    groups: List[Tuple[str, Iterable]] = [(ENTS_KEY, doc.ents)]
    groups += [(key, doc.spans[key]) for key in span_keys if key in doc.spans]
    for origin, spans in groups:
        for span in spans:
            key = (span.start_char, span.end_char, span.label_)
            if key in seen:
                if origin not in seen[key].origins:
                    seen[key].origins += (origin,)
            else:
                seen[key] = SourceEntity((origin,), span.start_char, span.end_char, span.label_, span.text)
    return sorted(seen.values(), key=lambda e: (e.start, -e.end, e.label))


def _sentence_ranges(doc: Doc) -> List[Tuple[int, int]]:
    if len(doc) == 0:
        return []
    if not doc.has_annotation("SENT_START"):
        return [(0, len(doc.text))]
    return [(sent.start_char, sent.end_char) for sent in doc.sents]


def split_units(doc: Doc, doc_index: int, entities: List[SourceEntity]) -> Tuple[List[Unit], int]:
    """Cut a doc into units and assign its entities.

    RETURNS (Tuple[List[Unit], int]): the units, and how many sentence merges an entity forced.
    """
    text = doc.text
    ranges: List[List[int]] = []  # [start, end, n_sentences]
    for start, end in _sentence_ranges(doc):
        if not text[start:end].strip() and ranges:
            ranges[-1][1] = end
            continue
        ranges.append([start, end, 1])
    merges = 0
    for ent in entities:
        first = next(i for i, r in enumerate(ranges) if r[0] <= ent.start < r[1])
        while ranges[first][1] < ent.end:  # the entity runs into the next sentence
            nxt = ranges.pop(first + 1)
            ranges[first][1], ranges[first][2] = nxt[1], ranges[first][2] + nxt[2]
            merges += 1
    units = []
    for start, end, n in ranges:
        inside = [e for e in entities if start <= e.start < end]
        # trim whitespace so that the translator sees clean lines; an entity that starts or
        # ends in the trimmed whitespace is clipped by project.py's bounds check, not dropped
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        units.append(Unit(doc_index, start, end, text[start:end], sentences=n, entities=inside))
    return units, merges
