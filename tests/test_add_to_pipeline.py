"""docs/usage.md, tested: add clinner's NER to an existing pipeline with add_pipe(..., source=...).

A transformer-backed clinner_ner listens to the pipeline's `transformer` component. Sourced
alone into another pipeline it would listen to nothing, so the listener is first replaced by a
private copy of the transformer (replace_listeners); or both components are sourced together.
The pipeline is tiny and built here (random-weight BERT from models/tiny.py, a few updates).
"""
import pytest
import spacy
from spacy.training import Example
from thinc.api import fix_random_seed

from clinner_spacy.models.tiny import make_tiny_encoder

TRAIN = [
    ("El paciente tiene dolor en el brazo.", [(18, 23, "DISORDER"), (30, 35, "ANATOMY")]),
    ("La paciente tiene fiebre y tos.", [(18, 24, "DISORDER"), (27, 30, "DISORDER")]),
    ("Dolor de cabeza con fiebre.", [(0, 5, "DISORDER"), (9, 15, "ANATOMY"), (20, 26, "DISORDER")]),
]
TEXTS = ["El paciente tiene fiebre.", "Dolor en el brazo y tos.", ""]


def ents(doc):
    return [(e.start_char, e.end_char, e.label_) for e in doc.ents]


@pytest.fixture(scope="module")
def clinner_dir(tmp_path_factory):
    """A trained clinner pipeline on disk, as a packaged clinner model would be."""
    root = tmp_path_factory.mktemp("clinner")
    encoder = make_tiny_encoder(root / "encoder", hidden=32, layers=2)
    nlp = spacy.blank("xx")
    nlp.add_pipe("transformer", config={"model": {
        "@architectures": "clinner.FrozenTransformerModel.v1", "name": str(encoder),
        "get_spans": {"@span_getters": "spacy-transformers.strided_spans.v1", "window": 32, "stride": 24},
        "tokenizer_config": {"use_fast": True}}})
    nlp.add_pipe("clinner_ner")
    egs = [Example.from_dict(nlp.make_doc(t), {"entities": e}) for t, e in TRAIN]
    fix_random_seed(0)
    optimizer = nlp.initialize(lambda: egs)
    for _ in range(40):
        nlp.update(egs, sgd=optimizer, losses={})
    nlp.to_disk(root / "model")
    return root / "model"


def test_source_ner_alone_after_replacing_listeners(clinner_dir, tmp_path):
    clinner_nlp = spacy.load(clinner_dir)
    expected = [ents(doc) for doc in clinner_nlp.pipe(TEXTS)]
    # the documented recipe (docs/usage.md)
    clinner_nlp.replace_listeners("transformer", "clinner_ner", ["model.tok2vec"])
    nlp = spacy.blank("es")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("clinner_ner", source=clinner_nlp)
    assert nlp.pipe_names == ["sentencizer", "clinner_ner"]
    assert [ents(nlp(text)) for text in TEXTS] == expected
    assert [ents(doc) for doc in nlp.pipe(TEXTS)] == expected


def test_replaced_listener_pipeline_round_trips(clinner_dir, tmp_path):
    clinner_nlp = spacy.load(clinner_dir)
    expected = [ents(doc) for doc in clinner_nlp.pipe(TEXTS)]
    clinner_nlp.replace_listeners("transformer", "clinner_ner", ["model.tok2vec"])
    nlp = spacy.blank("es")
    nlp.add_pipe("clinner_ner", source=clinner_nlp)
    nlp.to_disk(tmp_path / "combined")
    again = spacy.load(tmp_path / "combined")
    assert [ents(again(text)) for text in TEXTS] == expected


def test_source_transformer_and_ner_together(clinner_dir, tmp_path):
    clinner_nlp = spacy.load(clinner_dir)
    expected = [ents(doc) for doc in clinner_nlp.pipe(TEXTS)]
    nlp = spacy.blank("es")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("transformer", source=clinner_nlp)
    nlp.add_pipe("clinner_ner", source=clinner_nlp)
    assert [ents(nlp(text)) for text in TEXTS] == expected
    nlp.to_disk(tmp_path / "combined")
    again = spacy.load(tmp_path / "combined")
    assert again.pipe_names == ["sentencizer", "transformer", "clinner_ner"]
    assert [ents(again(text)) for text in TEXTS] == expected


def test_predictions_are_not_trivial(clinner_dir):
    # a pipeline that predicts nothing would make the equality tests above vacuous
    nlp = spacy.load(clinner_dir)
    assert any(ents(nlp(text)) for text, _ in TRAIN)
