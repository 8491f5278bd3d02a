"""clinner.FrozenTok2VecTransformer.v1: a private frozen transformer inside one component.

What `nlp.replace_listeners("transformer", "clinner_ner", ["model.tok2vec"])` leaves in the
listening component when the transformer is clinner.FrozenTransformerModel.v1. spaCy writes
the new config with the transformer's `replace_listener_cfg`; spacy-transformers' own maps
every "*TransformerModel*" to Tok2VecTransformer.v3, which rejects the freezing arguments, so
the pipeline would not load again. frozen_replace_listener_cfg (set on the model by
frozen.create_frozen_transformer_model) names this architecture instead, and
frozen_replace_listener gives the in-memory copy the freezing and L2-SP that
TransformerModel.copy drops, so the pipeline trains the same before and after saving.
"""
from dataclasses import asdict
from typing import Any, Callable, Dict, List

from spacy import registry
from spacy.tokens import Doc
from spacy_transformers.layers import split_trf_batch, trfs2arrays
from spacy_transformers.layers._util import replace_listener
from thinc.api import Model, chain
from thinc.types import Floats2d, Ragged

from .frozen import SETTINGS_ATTR, configure_transfer, create_frozen_transformer_model

ARCHITECTURE = "clinner.FrozenTok2VecTransformer.v1"


@registry.architectures(ARCHITECTURE)
def create_frozen_tok2vec_transformer(
    name: str,
    get_spans: Callable,
    tokenizer_config: dict,
    pooling: Model[Ragged, Floats2d],
    grad_factor: float = 1.0,
    transformer_config: dict = {},
    mixed_precision: bool = False,
    grad_scaler_config: dict = {},
    freeze_embeddings: bool = False,
    freeze_layers: str = "",
    l2sp_alpha: float = 0.0,
) -> Model[List[Doc], List[Floats2d]]:
    """spacy-transformers.Tok2VecTransformer.v3 around clinner.FrozenTransformerModel.v1.

    The arguments are those of the two: see create_frozen_transformer_model for the
    transformer's, and pooling (Model[Ragged, Floats2d]) and grad_factor (float) as in a
    spacy-transformers.TransformerListener.v1.
    RETURNS (Model[List[Doc], List[Floats2d]]): one vector per token.
    """
    transformer = create_frozen_transformer_model(
        name, get_spans, tokenizer_config, transformer_config, mixed_precision, grad_scaler_config,
        freeze_embeddings=freeze_embeddings, freeze_layers=freeze_layers, l2sp_alpha=l2sp_alpha,
    )
    # A chain inside a chain, the layout replace_listeners builds (spacy-transformers does the
    # same in Tok2VecTransformer.v3), so the saved weights load into this model node by node.
    return chain(chain(transformer, split_trf_batch()), trfs2arrays(pooling, grad_factor))


def frozen_replace_listener_cfg(transformer_cfg: Dict[str, Any], listener_cfg: Dict[str, Any]) -> Dict[str, Any]:
    """The config that replaces a TransformerListener listening to a FrozenTransformerModel.

    transformer_cfg (Dict[str, Any]): the transformer component's model config.
    listener_cfg (Dict[str, Any]): the listening component's tok2vec config.
    RETURNS (Dict[str, Any]): the config of a clinner.FrozenTok2VecTransformer.v1.
    """
    result = dict(transformer_cfg)
    if "TransformerListener" in listener_cfg.get("@architectures", ""):
        result["@architectures"] = ARCHITECTURE
        for key in ("pooling", "grad_factor"):
            if key in listener_cfg and key not in result:
                result[key] = listener_cfg[key]
    return result


def frozen_replace_listener(model: Model, listener: Model, transformer_pipe: Any) -> Model:
    """The model that replaces a listener: the transformer's copy, frozen as the original.

    model (Model): TransformerModel.copy() of the transformer component's model.
    listener (Model): the listener being replaced (unused; spaCy passes it).
    transformer_pipe (Transformer): the transformer component the listener listened to.
    RETURNS (Model): chain(copy, split_trf_batch()), as spacy-transformers' replace_listener.
    """
    settings = transformer_pipe.model.attrs.get(SETTINGS_ATTR)
    if settings is not None:
        configure_transfer(model, **asdict(settings))
    if model.transformer is not None:
        # TransformerModel.copy resets has_transformer, and that is saved: nlp.initialize would
        # then load the pretrained weights over the trained ones
        model.attrs["has_transformer"] = True
    return replace_listener(model)
