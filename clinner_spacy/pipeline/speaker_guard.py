"""clinner_speaker_guard: no predicted entity may contain a speaker prefix.

Runs after the NER. A model trained on written notes has never seen "Patient:" and can tag it
into a mention ("Patient: Headache" -> DISORDER) or run a mention across a turn boundary. The
guidelines never include the prefix, so such a span is wrong by construction: the guard trims
the prefix tokens (and the punctuation and whitespace left at the edges) off the entity, or
removes the entity ("remove" mode, or when nothing is left). What it did is counted in the
doc's clinner metadata under "speaker_guard", so that evaluation can report it.
"""
from typing import List, Optional, Set, Tuple

from spacy.language import Language
from spacy.tokens import Doc, Span

from ..dialogue.turns import find_speaker_prefixes
from ..util import set_meta

MODES = ("trim", "remove")


@Language.factory(
    "clinner_speaker_guard",
    assigns=["doc.ents"],
    requires=["doc.ents"],
    default_config={"speakers_key": "speakers", "mode": "trim"},
)
def make_speaker_guard(nlp: Language, name: str, speakers_key: str, mode: str) -> "SpeakerGuard":
    """Create a clinner_speaker_guard component.

    speakers_key (str): span group with the speaker prefixes (set by clinner_dialogue_turns);
        when a doc lacks it, the prefixes are found from the text.
    mode (str): "trim" cuts the prefix out of an entity, "remove" drops the entity.
    """
    return SpeakerGuard(name, speakers_key=speakers_key, mode=mode)


def _edge_ok(token) -> bool:
    return not (token.is_space or token.is_punct)


def guard_entities(doc: Doc, prefixes: List[Tuple[int, int]], mode: str = "trim") -> Tuple[List[Span], int, int]:
    """Trim or remove the entities of a doc that overlap speaker-prefix tokens.

    doc (Doc): the doc, with doc.ents set.
    prefixes (List[Tuple[int, int]]): token ranges (start, end) of the speaker prefixes.
    mode (str): "trim" or "remove".
    RETURNS (Tuple[List[Span], int, int]): the new entities, and how many were trimmed and removed.
    """
    blocked: Set[int] = {i for start, end in prefixes for i in range(start, end)}
    new_ents: List[Span] = []
    trimmed = removed = 0
    for ent in doc.ents:
        if not any(i in blocked for i in range(ent.start, ent.end)):
            new_ents.append(ent)
            continue
        # Pieces of the entity between prefixes, stripped of edge punctuation and whitespace;
        # an entity run across a turn boundary keeps a piece on each side.
        pieces, run = [], []
        for i in range(ent.start, ent.end + 1):
            if i < ent.end and i not in blocked:
                run.append(i)
                continue
            while run and not _edge_ok(doc[run[0]]):
                run.pop(0)
            while run and not _edge_ok(doc[run[-1]]):
                run.pop()
            if run:
                pieces.append(Span(doc, run[0], run[-1] + 1, label=ent.label, kb_id=ent.kb_id))
            run = []
        if mode == "trim" and pieces:
            new_ents.extend(pieces)
            trimmed += 1
        else:
            removed += 1
    return new_ents, trimmed, removed


class SpeakerGuard:
    """Keeps speaker prefixes out of doc.ents; no model, nothing to train or load."""

    def __init__(self, name: str = "clinner_speaker_guard", *, speakers_key: str = "speakers", mode: str = "trim"):
        if mode not in MODES:
            raise ValueError(f"clinner_speaker_guard mode must be one of {MODES}, not {mode!r}")
        self.name = name
        self.cfg = {"speakers_key": speakers_key, "mode": mode}

    def prefix_tokens(self, doc: Doc) -> List[Tuple[int, int]]:
        """Token ranges of the speaker prefixes: from the span group, else from the text."""
        key = self.cfg["speakers_key"]
        if key in doc.spans:
            return [(span.start, span.end) for span in doc.spans[key]]
        ranges = []
        for start, end, _ in find_speaker_prefixes(doc.text):
            span: Optional[Span] = doc.char_span(start, end, alignment_mode="expand")
            if span is not None:
                ranges.append((span.start, span.end))
        return ranges

    def __call__(self, doc: Doc) -> Doc:
        old = list(doc.ents)
        new_ents, trimmed, removed = guard_entities(doc, self.prefix_tokens(doc), self.cfg["mode"])
        if trimmed or removed:
            kept = {i for ent in new_ents for i in range(ent.start, ent.end)}
            # Tokens that leave an entity become "outside" (not missing); the rest is untouched.
            outside = [doc[i : i + 1] for ent in old for i in range(ent.start, ent.end) if i not in kept]
            doc.set_ents(new_ents, outside=outside, default="unmodified")
        # What this run did (a re-run on the same doc replaces it, it does not add up).
        set_meta(doc, speaker_guard={"entities": len(old), "trimmed": trimmed, "removed": removed})
        return doc

    # No pipe/to_disk/to_bytes: the settings live in the pipeline's config.cfg, and spaCy calls
    # a component per doc and skips saving it when it defines neither.
