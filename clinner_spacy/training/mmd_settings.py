"""clinner.mmd_settings.v1: La-DTL's label-aware MMD settings for a clinner_ner sourced from another pipeline.

A sourced component keeps its source pipeline's config: spaCy ignores any other setting in its
[components.x] block, so configs/features/transfer_mmd.cfg cannot set mmd_weight there (it
would silently stay at the source's 0.0). This callback, in [initialize.before_init], sets the
MMD settings on the component instead; it runs in `spacy train` before the first update.
As clinner.transfer_settings.v1 does for freezing, it also writes them into the component's
config (nlp.config, saved with model-best and model-last), so a saved pipeline states the
settings it was trained with. A pipeline that later sources that one keeps them, which does
nothing on a corpus of one domain (the term needs both domains in a batch).
"""
from typing import Callable, List

from spacy import registry
from spacy.language import Language

from ..pipeline.mmd import DOMAIN_META, SOURCE, LabelAwareMMD
from ..util import logger


@registry.callbacks("clinner.mmd_settings.v1")
def make_mmd_settings(
    component: str = "clinner_ner",
    weight: float = 0.02,
    domain_key: str = DOMAIN_META,
    source_values: List[str] = [SOURCE],
    max_tokens: int = 256,
    seed: int = 0,
) -> Callable[[Language], Language]:
    """Create a callback that sets the label-aware MMD term of a clinner_ner component.

    component (str): name of the clinner_ner component.
    weight (float): weight of sum_y MMD^2_y in the loss (La-DTL: 0.02); 0 turns it off.
    domain_key (str): clinner metadata key giving a doc's domain (see pipeline/mmd.py).
    source_values (List[str]): values of that key that mark source-domain docs.
    max_tokens (int): most tokens per label and domain in the MMD.
    seed (int): seed of the subsampling.
    RETURNS (Callable[[Language], Language]): the callback, for [initialize.before_init].
    """
    # built here, so that bad settings fail when the config is resolved, before any training
    settings = LabelAwareMMD(weight, domain_key, source_values, max_tokens, seed).settings()

    def set_mmd(nlp: Language) -> Language:
        if component not in nlp.component_names:
            raise ValueError(
                f"clinner.mmd_settings.v1: no component {component!r} in the pipeline "
                f"(components: {nlp.component_names})"
            )
        pipe = nlp.get_pipe(component)
        if not hasattr(pipe, "set_mmd"):
            raise ValueError(
                f"clinner.mmd_settings.v1: component {component!r} is a {type(pipe).__name__}, "
                "not a clinner_ner (ClinicalNER)"
            )
        pipe.set_mmd(LabelAwareMMD(weight, domain_key, source_values, max_tokens, seed))
        nlp.get_pipe_config(component).update(settings)
        logger.info("Label-aware MMD on %r: %s", component, settings)
        return nlp

    return set_mmd
