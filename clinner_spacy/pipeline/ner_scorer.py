"""clinner.partial_ner_scorer.v1: entity P/R/F that ignores labels a corpus does not annotate."""
from typing import Any, Callable, Dict, Iterable

from spacy import registry
from spacy.training import Example

from ..evaluation.scorer import score_examples

# the keys spacy.scorer.get_ner_prf returns; clinner.span_scorer.v1 adds macro, weighted, lenient
NER_KEYS = ("ents_p", "ents_r", "ents_f", "ents_per_type")


def score_partial_ner(examples: Iterable[Example], **kwargs: Any) -> Dict[str, Any]:
    """Score entities like spaCy's ner scorer, restricted to annotated labels.

    A predicted entity whose label the reference doc's corpus does not annotate
    (user_data["clinner"]["annotated_labels"]) can be neither right nor wrong there, so it is
    not counted; docs without that metadata are scored as they are. Alignment and missing
    annotation follow get_ner_prf (evaluation/spans.py), so this is clinner.span_scorer.v1's
    strict micro score under spaCy's keys.

    examples (Iterable[Example]): predicted and reference docs.
    RETURNS (Dict[str, Any]): ents_p, ents_r, ents_f, ents_per_type.
    """
    scores = score_examples(examples)
    return {key: scores[key] for key in NER_KEYS}


@registry.scorers("clinner.partial_ner_scorer.v1")
def make_partial_ner_scorer() -> Callable[..., Dict[str, Any]]:
    """Registered factory for score_partial_ner (the clinner_ner default scorer)."""
    return score_partial_ner
