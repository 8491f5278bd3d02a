"""clinner.CRFTagger.v1: per-token emission scores plus learned BIO transition scores (a CRF head).

Why: the softmax tagger (models/tagger.py) scores each token's tag on its own and relies on a
0/-inf Viterbi to keep sequences valid, so nothing in training tells it where an entity should
end. On the feature-based arm most of the gap between strict and lenient F1 is such boundary
errors. A linear-chain CRF scores whole tag sequences: its learned transitions (e.g. how likely
"I-DRUG" continues "B-DRUG") are trained together with the emissions by the partial-label CRF
likelihood (pipeline/crf_loss.py) and used by the decoder (tags.viterbi_bio_batch).

The model's output is the emission scores, List[Floats2d] like the softmax tagger's, so the
component's predict/get_loss contracts hold. The transition scores live in the "crf" layer, a
pass-through at the end of the chain: being in the layer tree, its params are serialised with
the model and updated by finish_update once ClinicalNER has inc_grad-ed them (they are not a
function of the input, so no backprop reaches them).
"""
from typing import List, Optional

from spacy import registry
from spacy.tokens import Doc
from thinc.api import Dropout, Linear, Model, chain, with_array, zero_init
from thinc.types import Floats2d

# model.attrs[DECODER_ATTR] == CRF_DECODER tells ClinicalNER to use the CRF loss and decoder;
# the softmax taggers do not set it.
DECODER_ATTR = "decoder"
CRF_DECODER = "crf"
CRF_PARAMS = ("transitions", "start", "end")


@registry.architectures("clinner.CRFTagger.v1")
def build_crf_tagger(
    tok2vec: Model[List[Doc], List[Floats2d]],
    nO: Optional[int] = None,
    use_dropout: bool = True,
) -> Model[List[Doc], List[Floats2d]]:
    """Build a CRF tagger: tok2vec, an optional dropout, linear emissions, and a transition layer.

    tok2vec (Model[List[Doc], List[Floats2d]]): token vectors, e.g. clinner.FeatureTok2Vec.v1.
    nO (Optional[int]): number of tags; None lets the component set it from its labels.
    use_dropout (bool): put a dropout layer (rate set by [training] dropout) before the emissions.
    RETURNS (Model[List[Doc], List[Floats2d]]): per-doc (n_tokens, nO) emission scores; refs
        "tok2vec", "output_layer" (the emissions' Linear) and "crf" (the transition scores).
    """
    # zero-initialised, as the softmax taggers: every valid path scores the same at the start
    output = Linear(nO, init_W=zero_init)
    head = chain(Dropout(0.0), output) if use_dropout else output
    crf = crf_transitions(nO)
    model = chain(tok2vec, with_array(head), crf)
    model.set_ref("tok2vec", tok2vec)
    model.set_ref("output_layer", output)
    model.set_ref("crf", crf)
    model.attrs[DECODER_ATTR] = CRF_DECODER
    if nO is not None:
        model.set_dim("nO", nO)
    return model


def crf_transitions(nO: Optional[int] = None) -> Model[List[Floats2d], List[Floats2d]]:
    """A pass-through layer that holds CRF scores as params: "transitions" (nO, nO) indexed
    [prev, next], "start" (nO,) and "end" (nO,), all zero-initialised.

    nO (Optional[int]): number of tags; None infers it from the emissions at initialize.
    RETURNS (Model[List[Floats2d], List[Floats2d]]): the layer.
    """
    return Model(
        "crf",
        _forward,
        init=_init,
        dims={"nO": nO},
        params={name: None for name in CRF_PARAMS},
    )


def is_crf(model: Model) -> bool:
    """RETURNS (bool): whether model was built by clinner.CRFTagger (see DECODER_ATTR)."""
    return model.attrs.get(DECODER_ATTR) == CRF_DECODER


def _forward(model: Model, X: List[Floats2d], is_train: bool):
    return X, lambda dY: dY


def _init(model: Model, X: Optional[List[Floats2d]] = None, Y=None) -> None:
    if not model.has_dim("nO"):
        if not X:
            raise ValueError("crf layer: nO unset and no emissions to infer it from")
        model.set_dim("nO", X[0].shape[1])
    n_tags = model.get_dim("nO")
    model.set_param("transitions", model.ops.alloc2f(n_tags, n_tags))
    model.set_param("start", model.ops.alloc1f(n_tags))
    model.set_param("end", model.ops.alloc1f(n_tags))
