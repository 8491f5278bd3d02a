"""clinner.partial_ner_scorer.v1: entity P/R/F that ignores labels a corpus does not annotate."""
from typing import Any, Callable, Dict, Iterable, List

from spacy import registry
from spacy.scorer import get_ner_prf
from spacy.training import Example

from ..util import get_meta


def score_partial_ner(examples: Iterable[Example], **kwargs: Any) -> Dict[str, Any]:
    """Score entities like spaCy's ner scorer, restricted to annotated labels.

    A predicted entity whose label the reference doc's corpus does not annotate
    (user_data["clinner"]["annotated_labels"]) can be neither right nor wrong there, so it is
    dropped before get_ner_prf counts it; docs without that metadata are scored as they are.

    examples (Iterable[Example]): predicted and reference docs.
    RETURNS (Dict[str, Any]): ents_p, ents_r, ents_f, ents_per_type.
    """
    kept: List[Example] = []
    for eg in examples:
        annotated = get_meta(eg.reference, "annotated_labels")
        if annotated is None or all(ent.label_ in annotated for ent in eg.predicted.ents):
            kept.append(eg)
            continue
        predicted = eg.predicted.copy()
        predicted.set_ents(
            [ent for ent in predicted.ents if ent.label_ in annotated], default="outside"
        )
        kept.append(Example(predicted, eg.reference, alignment=eg.alignment))
    return get_ner_prf(kept, **kwargs)


@registry.scorers("clinner.partial_ner_scorer.v1")
def make_partial_ner_scorer() -> Callable[..., Dict[str, Any]]:
    """Registered factory for score_partial_ner (the clinner_ner default scorer)."""
    return score_partial_ner
