"""clinner.FeatureTok2Vec.v1: frozen encoder features, then a small trainable contextual encoder.

The head that the feature-based arm trains (issue 10): a linear projection of the frozen
features, then a BiLSTM over the document. The frozen features already carry context; the
BiLSTM lets the head re-read it for the task (entity boundaries, which the per-token softmax
of clinner.TokenTagger cannot see on its own) at a cost that is small beside the encoder's:
with cached features a training step costs this head only.
"""
from typing import List

from spacy import registry
from spacy.tokens import Doc
from thinc.api import Dropout, Linear, Model, PyTorchLSTM, chain, with_array
from thinc.types import Floats2d


@registry.architectures("clinner.FeatureTok2Vec.v1")
def build_feature_tok2vec(
    features: Model[List[Doc], List[Floats2d]],
    width: int = 256,
    depth: int = 1,
    dropout: float = 0.2,
) -> Model[List[Doc], List[Floats2d]]:
    """Token vectors: frozen features, a projection to width, then a depth-layer BiLSTM.

    features (Model[List[Doc], List[Floats2d]]): the frozen features, e.g.
        clinner.FrozenTransformerFeatures.v1.
    width (int): projection width and BiLSTM output width (width // 2 per direction); even.
    depth (int): BiLSTM layers (0: the projection only).
    dropout (float): dropout on the features and between BiLSTM layers. The [training] dropout
        also sets the rate of the first Dropout layer at each update (spaCy's set_dropout_rate).
    RETURNS (Model[List[Doc], List[Floats2d]]): width-dimensional vectors, one per token.
    """
    if width <= 0 or width % 2:
        raise ValueError(f"width must be a positive even number (two LSTM directions), got {width}")
    if depth < 0:
        raise ValueError(f"depth must be >= 0, got {depth}")
    project = with_array(chain(Dropout(dropout), Linear(nO=width)))
    layers = [features, project]
    if depth > 0:
        # torch applies LSTM dropout between layers only (and warns when there is none)
        layers.append(PyTorchLSTM(nO=width, nI=width, bi=True, depth=depth, dropout=dropout if depth > 1 else 0.0))
    model = chain(*layers)
    model.set_ref("features", features)
    model.set_dim("nO", width)
    return model
