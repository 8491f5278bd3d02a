"""Run a tagger as its two halves, tok2vec and head, so that a loss can also reach the tok2vec output.

The taggers (clinner.TokenTagger.v1/v2, clinner.CRFTagger.v1) are chain(tok2vec, head...)
with the first layer under the "tok2vec" ref. thinc's chain runs its layers in order and
backpropagates in reverse; doing the same by hand, but keeping the tok2vec output and adding a
gradient for it before the tok2vec's backprop, computes the same function and gradients as
model.begin_update, plus the extra term. Nothing in the model is changed or patched: a loss on
token vectors (the label-aware MMD of pipeline/mmd.py) uses this from ClinicalNER.update.
"""
from typing import Callable, List, Tuple

from spacy.tokens import Doc
from thinc.api import Model
from thinc.types import Floats2d


def begin_update_split(
    model: Model, docs: List[Doc]
) -> Tuple[List[Floats2d], List[Floats2d], Callable[[List[Floats2d], List[Floats2d]], None]]:
    """Forward a tagger in training mode, keeping the tok2vec output.

    model (Model): a chain whose first layer is its "tok2vec" ref.
    docs (List[Doc]): the batch.
    RETURNS (Tuple[List[Floats2d], List[Floats2d], Callable]): the tagger's output, the tok2vec
        output, and backprop(d_output, d_vectors), which backpropagates d_output through the
        head, adds d_vectors (same shapes as the tok2vec output) and backpropagates the sum
        through the tok2vec.
    """
    tok2vec = model.get_ref("tok2vec") if model.has_ref("tok2vec") else None
    if tok2vec is None or not model.layers or model.layers[0] is not tok2vec:
        raise ValueError(
            f"clinner_ner: the model {model.name!r} is not chain(tok2vec, head...) with its first layer "
            "as the 'tok2vec' ref (clinner.TokenTagger / clinner.CRFTagger), so its token vectors "
            "cannot be read for the MMD term; set mmd_weight = 0 or use one of those architectures"
        )
    vectors, backprop_tok2vec = tok2vec(docs, is_train=True)
    X, callbacks = vectors, []
    for layer in model.layers[1:]:
        X, callback = layer(X, is_train=True)
        callbacks.append(callback)

    def backprop(d_output: List[Floats2d], d_vectors: List[Floats2d]) -> None:
        dY = d_output
        for callback in reversed(callbacks):
            dY = callback(dY)
        backprop_tok2vec([a + b for a, b in zip(dY, d_vectors)])

    return X, vectors, backprop
