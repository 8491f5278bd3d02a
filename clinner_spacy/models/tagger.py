"""clinner.TokenTagger.v1: per-token tag distributions on top of any tok2vec."""
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
    # zero-initialised output weights, as spaCy's tagger: uniform tag distributions at the start
    output = Softmax_v2(nO, init_W=zero_init)
    head = chain(Dropout(0.0), output) if use_dropout else output
    model = chain(tok2vec, with_array(head))
    model.set_ref("tok2vec", tok2vec)
    model.set_ref("output_layer", output)
    if nO is not None:
        model.set_dim("nO", nO)
    return model
