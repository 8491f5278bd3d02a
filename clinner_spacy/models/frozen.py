"""clinner.FrozenTransformerModel.v1: a spacy-transformers model with frozen parts and L2-SP.

Freezing sets requires_grad=False on the chosen parameters, so they get no gradient, and
thinc's PyTorchShim.finish_update (which only visits parameters whose .grad is set) neither
updates them nor creates optimizer state for them. The Hugging Face module can be (re)built in
several places: TransformerModel's init (from a name or path), HFShim.from_bytes (spacy.load,
from_disk), and sourcing a component in a config. So freezing is applied lazily: the forward
pass checks a marker on the torch module and freezes it when the marker does not match the
settings. A rebuilt module has no marker and is frozen again before its first use.
"""
from dataclasses import dataclass
from typing import Callable, List, Optional, Tuple

from spacy import registry
from spacy.tokens import Doc
from spacy_transformers.data_classes import FullTransformerBatch
from spacy_transformers.layers.transformer_model import TransformerModel
from spacy_transformers.layers.transformer_model import forward as trf_forward
from spacy_transformers.layers.transformer_model import init as trf_init
from thinc.api import Model

from ..util import logger
from .freeze_spec import parse_freeze_layers
from .l2sp import add_l2sp_gradient, capture_reference

SETTINGS_ATTR = "clinner_transfer"
MARKER_ATTR = "_clinner_frozen_with"


@dataclass(frozen=True)
class TransferSettings:
    """Freezing and L2-SP settings of one transformer model.

    Kept in model.attrs as an object msgpack cannot write, so thinc does not save it with the
    weights: the settings come from the config (or the transfer callback), never from disk.
    """

    freeze_embeddings: bool = False
    freeze_layers: str = ""
    l2sp_alpha: float = 0.0


@registry.architectures("clinner.FrozenTransformerModel.v1")
def create_frozen_transformer_model(
    name: Optional[str],
    get_spans: Callable,
    tokenizer_config: dict = {},
    transformer_config: dict = {},
    mixed_precision: bool = False,
    grad_scaler_config: dict = {},
    freeze_embeddings: bool = False,
    freeze_layers: str = "",
    l2sp_alpha: float = 0.0,
) -> Model[List[Doc], FullTransformerBatch]:
    """spacy-transformers.TransformerModel.v3 with parts of the encoder frozen, and L2-SP.

    name (Optional[str]): Hugging Face model name or local directory. None (the configs'
        null [paths] encoder) is allowed until initialize, which then asks for it.
    get_spans (Callable[[List[Doc]], List[List[Span]]]): splits docs into encoder windows.
    tokenizer_config (dict): settings for the tokenizer.
    transformer_config (dict): settings for the transformer config.
    mixed_precision (bool): mixed-precision forward pass (GPU).
    grad_scaler_config (dict): gradient scaling for mixed precision.
    freeze_embeddings (bool): freeze the embedding block (word, position, type, its norm).
    freeze_layers (str): layers to freeze, see freeze_spec.parse_freeze_layers; weights above
        the top layer (pooler, final norm) freeze only when every layer does.
    l2sp_alpha (float): strength of the L2-SP pull towards the weights at the first training
        step (0 disables it), see models/l2sp.py.
    RETURNS (Model[List[Doc], FullTransformerBatch]): the transformer model.
    """
    from .frozen_tok2vec import frozen_replace_listener, frozen_replace_listener_cfg  # they import this module

    model = TransformerModel(
        name, get_spans, tokenizer_config, transformer_config, mixed_precision, grad_scaler_config
    )
    # replace_listeners must write a config that keeps the freezing arguments
    model.attrs["replace_listener"] = frozen_replace_listener
    model.attrs["replace_listener_cfg"] = frozen_replace_listener_cfg
    return configure_transfer(
        model,
        freeze_embeddings=freeze_embeddings,
        freeze_layers=freeze_layers,
        l2sp_alpha=l2sp_alpha,
    )


def configure_transfer(
    model: TransformerModel,
    *,
    freeze_embeddings: bool = False,
    freeze_layers: str = "",
    l2sp_alpha: float = 0.0,
) -> TransformerModel:
    """Give any spacy-transformers TransformerModel freezing and L2-SP (also a sourced one).

    model (TransformerModel): the model, initialized or not.
    freeze_embeddings (bool): see create_frozen_transformer_model.
    freeze_layers (str): see create_frozen_transformer_model.
    l2sp_alpha (float): see create_frozen_transformer_model.
    RETURNS (TransformerModel): the same model, its forward and init wrapped.
    """
    parse_freeze_layers(freeze_layers)  # syntax errors surface when the config loads
    if l2sp_alpha < 0:
        raise ValueError(f"l2sp_alpha must be >= 0, got {l2sp_alpha}")
    model.attrs[SETTINGS_ATTR] = TransferSettings(
        bool(freeze_embeddings), str(freeze_layers), float(l2sp_alpha)
    )
    model._func = frozen_forward
    model.init = frozen_init
    return model


def frozen_init(model: TransformerModel, X=None, Y=None) -> None:
    """spacy-transformers' init, then freezing of the freshly loaded module."""
    if not model.attrs["has_transformer"] and not model.attrs["name"]:
        raise ValueError(
            "clinner.FrozenTransformerModel.v1 has no encoder: set [paths] encoder (or the "
            "model's name) to a Hugging Face model name or a local model directory"
        )
    trf_init(model, X=X, Y=Y)
    if model.attrs["has_transformer"]:
        ensure_frozen(model.transformer, model.attrs[SETTINGS_ATTR])


def frozen_forward(
    model: TransformerModel, docs: List[Doc], is_train: bool
) -> Tuple[FullTransformerBatch, Callable]:
    """spacy-transformers' forward on a module frozen as the settings say, plus L2-SP."""
    settings: TransferSettings = model.attrs[SETTINGS_ATTR]
    # the module itself, not attrs["has_transformer"]: TransformerModel.copy (replace_listeners)
    # leaves that False on a copy that has the weights, and it is saved and loaded so
    module = model.transformer
    if module is None:
        return trf_forward(model, docs, is_train)
    ensure_frozen(module, settings)
    if is_train and not any(p.requires_grad for p in module.parameters()):
        # Fully frozen: torch cannot backpropagate through a graph without trainable leaves,
        # and a frozen feature extractor needs no graph (nor dropout) anyway.
        output, _ = trf_forward(model, docs, False)
        return output, lambda d_output: docs
    if not is_train or settings.l2sp_alpha <= 0:
        return trf_forward(model, docs, is_train)
    capture_reference(module)
    output, backprop = trf_forward(model, docs, is_train)

    def backprop_l2sp(d_output: FullTransformerBatch) -> List[Doc]:
        d_docs = backprop(d_output)
        add_l2sp_gradient(module, settings.l2sp_alpha)
        return d_docs

    return output, backprop_l2sp


def ensure_frozen(module, settings: TransferSettings) -> None:
    """Freeze a torch encoder as the settings say, unless it already is."""
    key = (settings.freeze_embeddings, settings.freeze_layers)
    if getattr(module, MARKER_ATTR, None) == key:
        return
    frozen, total = apply_freezing(module, settings)
    object.__setattr__(module, MARKER_ATTR, key)
    logger.info(
        "Froze %d of %d encoder parameters (freeze_embeddings=%s, freeze_layers=%r)",
        frozen, total, settings.freeze_embeddings, settings.freeze_layers,
    )


def apply_freezing(module, settings: TransferSettings) -> Tuple[int, int]:
    """Set requires_grad on every parameter of a Hugging Face encoder.

    module (torch.nn.Module): the encoder (BertModel, XLMRobertaModel, ...).
    settings (TransferSettings): what to freeze.
    RETURNS (Tuple[int, int]): number of frozen parameter values, and of all values.
    """
    embeddings, layers = find_encoder_parts(module)
    to_freeze = parse_freeze_layers(settings.freeze_layers, len(layers))
    in_embeddings = {id(p) for p in embeddings.parameters()}
    layer_of = {id(p): i for i, layer in enumerate(layers) for p in layer.parameters()}
    all_layers = len(to_freeze) == len(layers)
    frozen = total = 0
    for param in module.parameters():
        if id(param) in in_embeddings:
            freeze = settings.freeze_embeddings
        elif id(param) in layer_of:
            freeze = layer_of[id(param)] in to_freeze
        else:
            freeze = all_layers
        param.requires_grad_(not freeze)
        if freeze:
            # a zeroed .grad left by earlier steps would still reach the optimizer (and its
            # weight decay) in PyTorchShim.finish_update: drop it
            param.grad = None
            frozen += param.numel()
        total += param.numel()
    return frozen, total


def find_encoder_parts(module) -> Tuple["torch.nn.Module", "torch.nn.ModuleList"]:  # noqa: F821
    """Locate the embedding block and the stack of layers of a Hugging Face encoder.

    module (torch.nn.Module): the encoder.
    RETURNS (Tuple[Module, ModuleList]): embeddings, layers (ordered bottom to top).
    """
    import torch

    embeddings = getattr(module, "embeddings", None)
    if not isinstance(embeddings, torch.nn.Module):
        embeddings = module.get_input_embeddings()
    n_layers = getattr(module.config, "num_hidden_layers", None)
    for _, child in module.named_modules():
        if isinstance(child, torch.nn.ModuleList) and len(child) == n_layers:
            return embeddings, child
    raise ValueError(
        f"cannot find the {n_layers} layers of {type(module).__name__} to freeze; "
        "no ModuleList of that length"
    )
