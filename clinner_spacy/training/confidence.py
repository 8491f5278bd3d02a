"""Per-token and per-unit confidence of a pipeline's entity labelling, for self-training.

  token confidence = probability, under clinner_ner's tag distribution, of the tag that the
                     final doc.ents give the token (B-L, I-L or O; after the speaker guard);
  unit confidence  = minimum token confidence over a unit (a sentence, i.e. a speaker turn
                     when clinner_dialogue_turns runs, else the doc): over all its tokens
                     ("all" scope) or over its entity tokens only ("entities" scope, which
                     also keeps units where the model may have missed mentions).

Scoring the final doc.ents rather than the raw argmax means that a span the speaker guard had
to trim, whose tokens the model wanted inside an entity, scores low and is dropped.
"""
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy
from spacy.tokens import Doc

SCOPES = ("all", "entities")


@dataclass
class UnitDecision:
    """The selection verdict for one unit (token range) of a doc."""

    start: int
    end: int
    confidence: float
    n_entities: int
    kept: bool
    reason: str  # "kept", "low_confidence", "crossing", "too_few_entities", "blank"


def final_tag_ids(doc: Doc, labels: Sequence[str]) -> numpy.ndarray:
    """Tag index (tags.make_tags layout: O, B-L1, I-L1, ...) of each token under doc.ents.

    Tokens of an entity whose label the tagger lacks get -1 (no probability to read).
    """
    ids = numpy.zeros((len(doc),), dtype="i")
    index = {label: i for i, label in enumerate(labels)}
    for ent in doc.ents:
        if ent.label_ not in index:
            ids[ent.start : ent.end] = -1
            continue
        ids[ent.start] = 1 + 2 * index[ent.label_]
        ids[ent.start + 1 : ent.end] = 2 + 2 * index[ent.label_]
    return ids


def token_confidences(probs: Optional[numpy.ndarray], tag_ids: numpy.ndarray) -> numpy.ndarray:
    """Probability of each token's final tag; 1.0 where there is none (the documented proxy).

    probs (Optional[ndarray]): (n_tokens, n_tags) tag probabilities, or None.
    tag_ids (ndarray): final_tag_ids of the doc.
    RETURNS (ndarray): (n_tokens,) confidences in [0, 1].
    """
    conf = numpy.ones((len(tag_ids),), dtype="f")
    if probs is None:
        return conf
    known = tag_ids >= 0
    conf[known] = probs[numpy.arange(len(tag_ids))[known], tag_ids[known]]
    return conf


def doc_units(doc: Doc, by_sentence: bool = True) -> List[Tuple[int, int]]:
    """Token ranges to select from: the sentences (speaker turns) when the doc has them, else the doc."""
    if by_sentence and doc.has_annotation("SENT_START"):
        return [(sent.start, sent.end) for sent in doc.sents]
    return [(0, len(doc))]


def select_units(
    doc: Doc,
    confidences: numpy.ndarray,
    units: List[Tuple[int, int]],
    *,
    threshold: float,
    scope: str = "all",
    min_entities: int = 0,
) -> List[UnitDecision]:
    """Decide, unit by unit, whether the doc's labelling is kept.

    doc (Doc): the annotated doc.
    confidences (ndarray): token_confidences of the doc.
    units (List[Tuple[int, int]]): token ranges covering the doc.
    threshold (float): minimum unit confidence.
    scope (str): "all" tokens or "entities" tokens only (see module docstring).
    min_entities (int): units with fewer entities are dropped.
    RETURNS (List[UnitDecision]): one per unit, in order.
    """
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}, not {scope!r}")
    decisions = []
    for start, end in units:
        inside = [e for e in doc.ents if e.start < end and e.end > start]
        # an entity across a unit boundary is seen from both units, so both are rejected
        crossing = any(e.start < start or e.end > end for e in inside)
        if scope == "all":
            tokens = numpy.arange(start, end)
        else:
            tokens = numpy.asarray([i for e in inside for i in range(e.start, e.end)], dtype="i")
        confidence = float(confidences[tokens].min()) if len(tokens) else 1.0
        if all(t.is_space for t in doc[start:end]):
            reason = "blank"
        elif crossing:
            reason = "crossing"
        elif confidence < threshold:
            reason = "low_confidence"
        elif len(inside) < min_entities:
            reason = "too_few_entities"
        else:
            reason = "kept"
        decisions.append(UnitDecision(start, end, confidence, len(inside), reason == "kept", reason))
    return decisions
