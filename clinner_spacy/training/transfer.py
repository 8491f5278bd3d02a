"""clinner.transfer_settings.v1: freezing and L2-SP for a transformer sourced from another pipeline.

A sourced component keeps the model config of its source pipeline (spaCy does not let the
new config change the architecture arguments of a sourced component), so transfer.cfg cannot
set freeze_layers on the sourced transformer directly. This callback, placed in
[initialize.before_init], applies the transfer settings to it instead; it runs in `spacy
train` only, before the first update. Works on clinner.FrozenTransformerModel.v1 and on plain
spacy-transformers TransformerModel alike.

The settings are also written into the component's model config (nlp.config, which `spacy
train` saves with model-best and model-last, and `spacy package` ships), so a saved pipeline
states the freezing it was trained with, not its source's; it loads with that freezing again.
A plain TransformerModel.v3 becomes clinner.FrozenTransformerModel.v1 there (the same model
with the freezing arguments). Architectures that carry the arguments: ARCHITECTURES below.
"""
from typing import Any, Callable, Dict, Iterator

from spacy import registry
from spacy.language import Language
from spacy_transformers.layers.transformer_model import TransformerModel

from ..models.frozen import configure_transfer
from ..models.frozen_tok2vec import ARCHITECTURE as FROZEN_TOK2VEC
from ..models.frozen_tok2vec import frozen_replace_listener, frozen_replace_listener_cfg
from ..util import logger

FROZEN = "clinner.FrozenTransformerModel.v1"
# model architecture in a config -> the one that states the freezing arguments
ARCHITECTURES = {
    FROZEN: FROZEN,
    FROZEN_TOK2VEC: FROZEN_TOK2VEC,
    "spacy-transformers.TransformerModel.v3": FROZEN,
    "spacy-transformers.Tok2VecTransformer.v3": FROZEN_TOK2VEC,
}


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
        settings = {"freeze_embeddings": bool(freeze_embeddings), "freeze_layers": str(freeze_layers),
                    "l2sp_alpha": float(l2sp_alpha)}
        found = 0
        for node in nlp.get_pipe(component).model.walk():
            if isinstance(node, TransformerModel):
                configure_transfer(node, **settings)
                # as clinner.FrozenTransformerModel.v1 does: replace_listeners keeps the freezing
                node.attrs["replace_listener"] = frozen_replace_listener
                node.attrs["replace_listener_cfg"] = frozen_replace_listener_cfg
                found += 1
        if not found:
            raise ValueError(
                f"clinner.transfer_settings.v1: component {component!r} has no "
                "spacy-transformers TransformerModel"
            )
        written = record_settings(nlp.get_pipe_config(component), settings)
        if written != found:
            raise ValueError(
                f"clinner.transfer_settings.v1: component {component!r} has {found} transformer "
                f"model(s) but its config names {written} of {sorted(ARCHITECTURES)}, so the saved "
                "config could not state the freezing applied"
            )
        logger.info(
            "Transfer settings on %r: freeze_embeddings=%s freeze_layers=%r l2sp_alpha=%s",
            component, freeze_embeddings, freeze_layers, l2sp_alpha,
        )
        return nlp

    return set_transfer


def record_settings(config: Dict[str, Any], settings: Dict[str, Any]) -> int:
    """Write freezing settings into every transformer model section of a component config.

    config (Dict[str, Any]): the component's config (nlp.get_pipe_config), changed in place.
    settings (Dict[str, Any]): freeze_embeddings, freeze_layers, l2sp_alpha.
    RETURNS (int): the number of sections written.
    """
    written = 0
    for section in _sections(config):
        arch = section.get("@architectures")
        if arch in ARCHITECTURES:
            section["@architectures"] = ARCHITECTURES[arch]
            section.update(settings)
            written += 1
    return written


def _sections(config: Dict[str, Any]) -> Iterator[Dict[str, Any]]:
    yield config
    for value in config.values():
        if isinstance(value, dict):
            yield from _sections(value)
