"""clinner.TokenTagger.v1/v2: per-token tag distributions on top of any tok2vec."""
from typing import List, Optional

from spacy.tokens import Doc
from thinc.api import Dropout, Model, Softmax_v2, chain, with_array, zero_init
from thinc.types import Floats2d

from spacy import registry


@registry.architectures("clinner.TokenTagger.v1")
def build_token_tagger(
    tok2vec: Model[List[Doc], List[Floats2d]],
    nO: Optional[int] = None,
    use_dropout: bool = True,
) -> Model[List[Doc], List[Floats2d]]:
    """Build a tagger: tok2vec, then an optional dropout, then a softmax over tags.

    The dropout layer's rate is the [training] dropout: spaCy sets every layer's rate at each
    update (set_dropout_rate), and it is inactive at prediction time.

    tok2vec (Model[List[Doc], List[Floats2d]]): token vectors, e.g. a TransformerListener
        or spacy.HashEmbedCNN.v2.
    nO (Optional[int]): number of tags; None lets the component set it from its labels
        (1 + 2 * number of labels, see pipeline/tags.py).
    use_dropout (bool): put a dropout layer between the token vectors and the softmax.
    RETURNS (Model[List[Doc], List[Floats2d]]): per-doc (n_tokens, nO) tag probabilities.
    """
    # zero-initialised output weights, as spaCy's tagger: uniform tag distributions at the start;
    # v2 at head_lr_scale 1.0 builds exactly this layout
    return build_token_tagger_v2(tok2vec, nO, use_dropout, head_lr_scale=1.0)


@registry.architectures("clinner.TokenTagger.v2")
def build_token_tagger_v2(
    tok2vec: Model[List[Doc], List[Floats2d]],
    nO: Optional[int] = None,
    use_dropout: bool = True,
    head_lr_scale: float = 1.0,
) -> Model[List[Doc], List[Floats2d]]:
    """Build a tagger as clinner.TokenTagger.v1, with a learning-rate multiplier for the head.

    Why: the method's encoder learning rates (2e-5, 5e-5) are right for the pretrained layers but
    leave a freshly initialised softmax almost where it started after the few hundred steps that a
    CPU affords (Adam moves each weight by about the learning rate per step). Feeding the softmax
    head_lr_scale * X instead of X is the same function class, but each Adam step now moves the
    logits head_lr_scale times further, while the encoder's updates keep their size (Adam
    normalises the gradient scale; the config's grad_clip still applies per parameter).
    With head_lr_scale = 1.0 this is exactly v1.

    head_lr_scale (float): multiplier on the head's effective learning rate.
    RETURNS (Model[List[Doc], List[Floats2d]]): per-doc (n_tokens, nO) tag probabilities.
    """
    # zero-initialised output weights, as spaCy's tagger: uniform tag distributions at the start
    output = Softmax_v2(nO, init_W=zero_init)
    layers = [scale_layer(head_lr_scale)] if head_lr_scale != 1.0 else []
    if use_dropout:
        layers.insert(0, Dropout(0.0))
    head = chain(*layers, output) if layers else output
    model = chain(tok2vec, with_array(head))
    model.set_ref("tok2vec", tok2vec)
    model.set_ref("output_layer", output)
    if nO is not None:
        model.set_dim("nO", nO)
    return model


def scale_layer(factor: float) -> Model[Floats2d, Floats2d]:
    """Multiply the input by a constant (and the gradient by the same constant)."""

    def forward(model: Model, X: Floats2d, is_train: bool):
        def backprop(dY: Floats2d) -> Floats2d:
            return dY * factor

        return X * factor, backprop

    return Model("scale", forward, attrs={"factor": factor})
