"""clinner.FrozenTransformerFeatures.v1: a frozen encoder as cached token features.

The feature-based arm of issue 10: every encoder weight is frozen, so the encoder is a fixed
feature extractor and only a small contextual head on top of it trains (models/contextual.py).
Its output for a document is computed once, with no autograd graph, and kept in a
FeatureCache (models/feature_cache.py); every later epoch reads it back, so a training step
costs the head alone. The layer is a composition of spacy-transformers' own layers
(TransformerModel -> split_trf_batch -> hidden-layer mix -> trfs2arrays), wrapped by the cache;
nothing in them is patched. The TransformerModel is a sub-layer, so its weights, tokenizer and
config are saved and loaded with the pipeline by spacy-transformers' HFShim, as for
spacy-transformers.Tok2VecTransformer.v3.
"""
from contextlib import contextmanager
from typing import Callable, List, Optional, Sequence

from spacy import registry
from spacy.tokens import Doc
from spacy_transformers.data_classes import TransformerData
from spacy_transformers.layers import split_trf_batch, trfs2arrays
from spacy_transformers.layers.transformer_model import TransformerModel
from thinc.api import Model, chain
from thinc.types import Floats2d, Ragged
from transformers.file_utils import ModelOutput

from ..util import logger
from .feature_cache import FeatureCache, doc_key, encoder_fingerprint
from .freeze_spec import parse_freeze_layers

CACHE_ATTR = "feature_cache"  # a FeatureCache: msgpack cannot write it, so thinc never saves it
LAST = "last"


@registry.architectures("clinner.FrozenTransformerFeatures.v1")
def create_frozen_features(
    name: Optional[str],
    get_spans: Callable,
    pooling: Model[Ragged, Floats2d],
    tokenizer_config: dict = {},
    transformer_config: dict = {},
    hidden_layers: str = LAST,
    cache_max_tokens: int = 2_000_000,
) -> Model[List[Doc], List[Floats2d]]:
    """Token vectors from a fully frozen Hugging Face encoder, cached per document.

    name (Optional[str]): Hugging Face model name or local directory. None (the configs' null
        [paths] encoder) is allowed until initialize, which then asks for it.
    get_spans (Callable): splits docs into encoder windows (spacy-transformers span getter).
    pooling (Model[Ragged, Floats2d]): pools a token's wordpiece vectors (e.g. reduce_mean.v1).
    tokenizer_config (dict): settings for the tokenizer.
    transformer_config (dict): settings for the transformer config.
    hidden_layers (str): "last" (the last hidden state), or the layers whose outputs are
        averaged, in freeze_layers syntax ("8-11", "4,8,11"; 0 is the layer next to the
        embeddings). Middle layers of a sentence-embedding model often carry more token-level
        information than its last layer: the setting is chosen on dev (docs/features.md).
    cache_max_tokens (int): tokens whose features are kept in memory (least recently used out
        first; 384 floats a token for e5-small, so 2,000,000 tokens take 3 GB). 0 disables it.
    RETURNS (Model[List[Doc], List[Floats2d]]): one vector per token; no gradient flows back.
    """
    layers = _parse_hidden_layers(hidden_layers)
    trf_config = dict(transformer_config)
    if layers is not None:
        trf_config["output_hidden_states"] = True
        # Layers above the highest one read are never used: loading the encoder with only
        # max(layers) + 1 layers gives the same hidden states for less compute (e5-small with
        # "4-7" runs 8 of its 12 layers). features_init checks that the checkpoint has them.
        trf_config.setdefault("num_hidden_layers", max(layers) + 1)
    transformer = TransformerModel(name, get_spans, tokenizer_config, trf_config)
    encoder = chain(transformer, split_trf_batch(), hidden_mix(layers), trfs2arrays(pooling, 1.0))
    model = Model(
        "frozen_features",
        features_forward,
        init=features_init,
        layers=[encoder],
        attrs={
            "hidden_layers": str(hidden_layers),
            "cache_max_tokens": int(cache_max_tokens),
            CACHE_ATTR: FeatureCache(int(cache_max_tokens)),
        },
    )
    model.set_ref("transformer", transformer)
    return model


def _parse_hidden_layers(spec: str):
    text = (spec or "").strip().lower()
    if text == LAST:
        return None
    layers = sorted(parse_freeze_layers(text))
    if not layers or text in ("all", "intermediate"):
        raise ValueError(
            f"hidden_layers must be 'last' or explicit layer numbers such as '8-11', got {spec!r}"
        )
    return layers


def hidden_mix(layers: Sequence[int]) -> Model[List[TransformerData], List[TransformerData]]:
    """Replace each doc's last hidden state by the mean of the given layers' outputs.

    layers (Sequence[int]): layer indices (0 = next to the embeddings); None keeps the last
        hidden state as it is. hidden_states[0] is the embedding output, so layer i is i + 1.
    RETURNS (Model[List[TransformerData], List[TransformerData]]): the mixing layer.
    """

    def forward(model: Model, trf_datas: List[TransformerData], is_train: bool):
        if layers is None:
            return trf_datas, lambda d: d
        out = []
        for data in trf_datas:
            hidden = data.model_output.get("hidden_states")
            if "last_hidden_state" not in data.model_output:  # an empty doc
                out.append(data)
                continue
            if hidden is None or len(hidden) <= max(layers) + 1:
                n = 0 if hidden is None else len(hidden) - 1
                raise ValueError(f"hidden_layers {list(layers)} asks for layers the encoder lacks ({n} layers)")
            mixed = sum(hidden[i + 1] for i in layers) / len(layers)
            out.append(TransformerData(data.wordpieces, ModelOutput(last_hidden_state=mixed), data.align))
        return out, lambda d: d

    return Model("hidden_mix", forward, attrs={"layers": None if layers is None else list(layers)})


def features_init(model: Model, X=None, Y=None) -> None:
    transformer = model.get_ref("transformer")
    if not transformer.attrs["has_transformer"] and not transformer.attrs["name"]:
        raise ValueError(
            "clinner.FrozenTransformerFeatures.v1 has no encoder: set [paths] encoder (or the "
            "model's name) to a Hugging Face model name or a local model directory"
        )
    layers = _parse_hidden_layers(model.attrs["hidden_layers"])
    if layers is not None and not transformer.attrs["has_transformer"]:
        _check_encoder_depth(transformer.attrs["name"], layers)
    with _quiet_unused_weights():
        # Hugging Face lists every weight of the layers left out, as if it were a mistake
        model.layers[0].initialize(X=X)
    freeze_all(model)


@contextmanager
def _quiet_unused_weights():
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)


def _check_encoder_depth(name: str, layers: Sequence[int]) -> None:
    """Refuse hidden layers the checkpoint lacks.

    The encoder is loaded with num_hidden_layers = max(layers) + 1; Hugging Face would fill
    layers missing from a shallower checkpoint with random weights, without an error.
    """
    from transformers import AutoConfig

    available = getattr(AutoConfig.from_pretrained(str(name)), "num_hidden_layers", None)
    if available is not None and max(layers) + 1 > int(available):
        raise ValueError(
            f"hidden_layers {list(layers)} asks for layers the encoder {name} lacks "
            f"({available} layers: 0-{int(available) - 1})"
        )
    if available is not None and max(layers) + 1 < int(available):
        logger.info("%s: running %d of its %d layers (hidden_layers %s)", name, max(layers) + 1, available,
                    list(layers))


def freeze_all(model: Model) -> None:
    """Set requires_grad=False on every encoder weight (no optimizer state, no weight decay)."""
    module = model.get_ref("transformer").transformer
    if module is not None:
        for param in module.parameters():
            param.requires_grad_(False)
            param.grad = None


def features_forward(model: Model, docs: List[Doc], is_train: bool):
    encoder = model.layers[0]
    cache: FeatureCache = model.attrs[CACHE_ATTR]
    module = model.get_ref("transformer").transformer
    if module is None:
        raise ValueError("clinner.FrozenTransformerFeatures.v1 is not initialized: no encoder loaded")
    if any(p.requires_grad for p in module.parameters()):
        freeze_all(model)  # a module rebuilt by from_disk/from_bytes
    prefix = (encoder_fingerprint(module), model.attrs["hidden_layers"])
    keys = [(prefix, doc_key(doc)) for doc in docs]
    outputs: List = [cache.get(key) for key in keys]
    todo = [i for i, out in enumerate(outputs) if out is None]
    if todo:
        # predict: no autograd graph, no dropout, whether or not we are training
        computed = encoder.predict([docs[i] for i in todo])
        for i, array in zip(todo, computed):
            array = model.ops.asarray2f(array)
            outputs[i] = array
            cache.put(keys[i], array)

    def backprop(d_outputs: List[Floats2d]) -> List[Doc]:
        return []

    return outputs, backprop


def feature_width(model: Model) -> int:
    """RETURNS (int): the width of the feature vectors (the encoder's hidden size)."""
    module = model.get_ref("transformer").transformer
    return int(module.config.hidden_size)


def cache_stats(model: Model) -> dict:
    """RETURNS (dict): hits, misses, entries and tokens of every feature cache under model."""
    stats = {"hits": 0, "misses": 0, "entries": 0, "tokens": 0}
    for node in model.walk():
        cache = node.attrs.get(CACHE_ATTR) if node.name == "frozen_features" else None
        if isinstance(cache, FeatureCache):
            stats["hits"] += cache.hits
            stats["misses"] += cache.misses
            stats["entries"] += len(cache)
            stats["tokens"] += cache.n_tokens
    return stats

