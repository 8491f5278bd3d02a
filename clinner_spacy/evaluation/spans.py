"""From (predicted, gold) Docs to the span sets that scoring compares.

The rules follow spaCy's own `get_ner_prf`, so that strict micro scores agree with `ents_f`:
a gold Doc without entity annotation is skipped; a predicted entity is mapped onto the gold
tokens through the Example alignment (the same snapping spaCy does when tokenisations
differ); a prediction touching gold tokens whose entity annotation is missing is neither
right nor wrong. Spans are then compared as (start_char, end_char, label) on the gold text.

Two clinner rules come on top, and every span they set aside is counted (DocSpans.ignored):
- annotated_labels: a prediction whose label the gold corpus does not annotate (doc
  metadata, see util.annotated_labels) is not a false positive; it is ignored.
- labels: when a label subset is asked for, gold and predicted spans of other labels are
  ignored.
"""
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Optional, Set, Tuple

from spacy.tokens import Doc
from spacy.training import Example

from ..util import annotated_labels, get_meta

Span = Tuple[int, int, str]

# Reasons a span is set aside; they name the keys of DocSpans.ignored and of the report.
NOT_ANNOTATED = "pred_label_not_annotated_in_gold"
FILTERED_PRED = "pred_label_not_evaluated"
FILTERED_GOLD = "gold_label_not_evaluated"
MISSING_GOLD = "pred_on_missing_gold_annotation"
UNALIGNED = "pred_not_aligned_to_gold_tokens"


@dataclass
class DocSpans:
    """The gold and predicted spans of one document, and what was set aside."""

    doc_id: str
    gold: Set[Span] = field(default_factory=set)
    pred: Set[Span] = field(default_factory=set)
    # reason -> label -> count
    ignored: Counter = field(default_factory=Counter)


def example_spans(eg: Example, *, labels: Optional[Iterable[str]] = None, doc_id: str = "") -> Optional[DocSpans]:
    """Extract the spans to score from one Example (predicted = eg.x, gold = eg.y).

    eg (Example): the prediction and its gold reference.
    labels (Optional[Iterable[str]]): restrict scoring to these labels; None for all.
    doc_id (str): an id for reports; defaults to the gold Doc's clinner doc_id metadata.
    RETURNS (Optional[DocSpans]): None when the gold Doc has no entity annotation.
    """
    gold_doc, pred_doc = eg.y, eg.x
    if not gold_doc.has_annotation("ENT_IOB"):
        return None
    wanted = set(labels) if labels is not None else None
    seen = {e.label_ for e in gold_doc.ents} | {e.label_ for e in pred_doc.ents}
    annotated = annotated_labels(gold_doc, seen)
    out = DocSpans(doc_id=doc_id or str(get_meta(gold_doc, "doc_id", "")))
    for ent in gold_doc.ents:
        if wanted is not None and ent.label_ not in wanted:
            out.ignored[(FILTERED_GOLD, ent.label_)] += 1
        else:
            out.gold.add((ent.start_char, ent.end_char, ent.label_))
    same_tokens = _same_tokens(pred_doc, gold_doc)
    x2y = None if same_tokens else eg.alignment.x2y
    for ent in pred_doc.ents:
        label = ent.label_
        if label not in annotated:
            out.ignored[(NOT_ANNOTATED, label)] += 1
            continue
        if wanted is not None and label not in wanted:
            out.ignored[(FILTERED_PRED, label)] += 1
            continue
        if same_tokens:
            start, end = ent.start, ent.end
        else:
            indices = x2y[ent.start : ent.end]
            if not len(indices):
                out.ignored[(UNALIGNED, label)] += 1
                continue
            start, end = int(indices[0]), int(indices[-1]) + 1
        g_span = gold_doc[start:end]
        if any(token.ent_iob == 0 for token in g_span):
            out.ignored[(MISSING_GOLD, label)] += 1
            continue
        out.pred.add((g_span.start_char, g_span.end_char, label))
    return out


def doc_spans(pred: Doc, gold: Doc, *, labels: Optional[Iterable[str]] = None, doc_id: str = "") -> Optional[DocSpans]:
    """Like example_spans, for a predicted and a gold Doc of the same text.

    pred (Doc): the prediction.
    gold (Doc): the reference.
    RETURNS (Optional[DocSpans]): None when the gold Doc has no entity annotation.
    """
    if pred.text != gold.text:
        name = doc_id or get_meta(gold, "doc_id", "") or "?"
        raise ValueError(f"document {name}: predicted and gold texts differ; cannot score")
    return example_spans(Example(pred, gold), labels=labels, doc_id=doc_id)


def _same_tokens(a: Doc, b: Doc) -> bool:
    return len(a) == len(b) and all(x.idx == y.idx and len(x) == len(y) for x, y in zip(a, b))
