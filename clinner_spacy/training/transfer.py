"""clinner.transfer_settings.v1: freezing and L2-SP for a transformer sourced from another pipeline.

A sourced component keeps the model config of its source pipeline (spaCy does not let the
new config change the architecture arguments of a sourced component), so transfer.cfg cannot
set freeze_layers on the sourced transformer directly. This callback, placed in
[initialize.before_init], applies the transfer settings to it instead; it runs in `spacy
train` only, before the first update. Works on clinner.FrozenTransformerModel.v1 and on plain
spacy-transformers TransformerModel alike.
"""
from typing import Callable

from spacy import registry
from spacy.language import Language
from spacy_transformers.layers.transformer_model import TransformerModel

from ..models.frozen import configure_transfer
from ..util import logger


@registry.callbacks("clinner.transfer_settings.v1")
def make_transfer_settings(
    component: str = "transformer",
    freeze_embeddings: bool = False,
    freeze_layers: str = "",
    l2sp_alpha: float = 0.0,
) -> Callable[[Language], Language]:
    """Create a callback that sets freezing and L2-SP on a pipeline's transformer.

    component (str): name of the transformer component in the pipeline.
    freeze_embeddings (bool): freeze the embedding block.
    freeze_layers (str): layers to freeze ("intermediate", "0-9", "0.2", ..., see
        models/freeze_spec.py).
    l2sp_alpha (float): L2-SP strength towards the weights at the first training step.
    RETURNS (Callable[[Language], Language]): the callback, for [initialize.before_init].
    """

    def set_transfer(nlp: Language) -> Language:
        if component not in nlp.component_names:
            raise ValueError(
                f"clinner.transfer_settings.v1: no component {component!r} in the pipeline "
                f"(components: {nlp.component_names})"
            )
        found = 0
        for node in nlp.get_pipe(component).model.walk():
            if isinstance(node, TransformerModel):
                configure_transfer(
                    node,
                    freeze_embeddings=freeze_embeddings,
                    freeze_layers=freeze_layers,
                    l2sp_alpha=l2sp_alpha,
                )
                found += 1
        if not found:
            raise ValueError(
                f"clinner.transfer_settings.v1: component {component!r} has no "
                "spacy-transformers TransformerModel"
            )
        logger.info(
            "Transfer settings on %r: freeze_embeddings=%s freeze_layers=%r l2sp_alpha=%s",
            component, freeze_embeddings, freeze_layers, l2sp_alpha,
        )
        return nlp

    return set_transfer
