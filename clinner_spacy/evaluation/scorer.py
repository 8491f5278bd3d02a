"""`clinner.span_scorer.v1`: a spaCy scorer with spaCy's NER keys plus clinner extras.

Use it from a config for any component that sets doc.ents:

    [components.ner.scorer]
    @scorers = "clinner.span_scorer.v1"
    labels = null

It returns ents_p, ents_r, ents_f and ents_per_type exactly as spacy.scorer.get_ner_prf
computes them (same alignment and missing-annotation rules, see spans.py), and adds
ents_macro_f, ents_weighted_f (support-weighted) and ents_lenient_f (overlap micro F1). Unlike
get_ner_prf, a prediction of a label that the reference Doc's corpus does not annotate
(annotated_labels metadata) is ignored, not a false positive.
"""
from typing import Any, Callable, Dict, Iterable, List, Optional

from spacy.training import Example
from spacy.util import registry

from .scoring import score_spans
from .spans import example_spans


def score_examples(examples: Iterable[Example], *, labels: Optional[List[str]] = None) -> Dict[str, Any]:
    """Score Examples (predicted = eg.predicted, gold = eg.reference).

    examples (Iterable[Example]): the examples to score.
    labels (Optional[List[str]]): restrict scoring to these labels; None for all.
    RETURNS (Dict[str, Any]): ents_p/r/f, ents_per_type, ents_macro_f, ents_weighted_f,
        ents_lenient_f; None values when there is nothing to score, as spaCy does.
    """
    docs = [d for d in (example_spans(eg, labels=labels) for eg in examples) if d is not None]
    scores = score_spans(docs)
    strict, lenient = scores["strict"], scores["lenient"]
    if strict["micro"] is None:
        keys = ("ents_p", "ents_r", "ents_f", "ents_per_type", "ents_macro_f", "ents_weighted_f", "ents_lenient_f")
        return {key: None for key in keys}
    return {
        "ents_p": strict["micro"]["p"],
        "ents_r": strict["micro"]["r"],
        "ents_f": strict["micro"]["f"],
        "ents_per_type": {
            label: {"p": c["p"], "r": c["r"], "f": c["f"]} for label, c in strict["per_label"].items()
        },
        "ents_macro_f": strict["macro"]["f"],
        "ents_weighted_f": strict["weighted"]["f"] if strict["weighted"] else 0.0,
        "ents_lenient_f": lenient["micro"]["f"] if lenient["micro"] else 0.0,
    }


@registry.scorers("clinner.span_scorer.v1")
def make_span_scorer(labels: Optional[List[str]] = None) -> Callable[..., Dict[str, Any]]:
    """Create the scorer.

    labels (Optional[List[str]]): restrict scoring to these labels; None for all.
    RETURNS (Callable): scorer(examples, **kwargs) -> scores.
    """

    def span_scorer(examples: Iterable[Example], **kwargs: Any) -> Dict[str, Any]:
        return score_examples(examples, labels=labels)

    return span_scorer
