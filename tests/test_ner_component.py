"""spaCy's component battery for clinner_ner, with a small CNN tok2vec for speed."""
import numpy
import pytest
import spacy
from spacy.tokens import DocBin
from spacy.training import Corpus, Example
from thinc.api import fix_random_seed

from clinner_spacy.pipeline.ner_scorer import score_partial_ner
from clinner_spacy.util import get_meta, set_meta

TOK2VEC = {
    "@architectures": "spacy.HashEmbedCNN.v2",
    "width": 32,
    "depth": 1,
    "embed_size": 500,
    "window_size": 1,
    "maxout_pieces": 2,
    "subword_features": True,
    "pretrained_vectors": None,
}
CONFIG = {"model": {"@architectures": "clinner.TokenTagger.v1", "tok2vec": TOK2VEC}}
TRAIN = [
    ("The patient has chest pain and took aspirin.", [(16, 26, "DISORDER"), (36, 43, "DRUG")]),
    ("Fever was treated with ibuprofen today.", [(0, 5, "DISORDER"), (23, 32, "DRUG")]),
    ("She denies cough.", [(11, 16, "DISORDER")]),
]


def make_nlp(**cfg):
    nlp = spacy.blank("en")
    nlp.add_pipe("clinner_ner", config={**CONFIG, **cfg})
    return nlp


def examples(nlp, data=TRAIN, annotated=None):
    out = []
    for text, ents in data:
        eg = Example.from_dict(nlp.make_doc(text), {"entities": ents})
        if annotated is not None:
            set_meta(eg.reference, annotated_labels=annotated)
        out.append(eg)
    return out


def train(nlp, egs, steps=40):
    fix_random_seed(0)
    optimizer = nlp.initialize(lambda: egs)
    for _ in range(steps):
        nlp.update(egs, sgd=optimizer, losses={})
    return nlp


def ents(doc):
    return [(e.start_char, e.end_char, e.label_) for e in doc.ents]


@pytest.fixture(scope="module")
def trained():
    nlp = make_nlp()
    return train(nlp, examples(nlp))


def test_add_pipe_and_labels():
    nlp = make_nlp()
    ner = nlp.get_pipe("clinner_ner")
    assert ner.add_label("DRUG") == 1 and ner.add_label("DRUG") == 0
    ner.initialize(lambda: examples(nlp), nlp=nlp, labels=["DRUG", "ANATOMY"])
    assert ner.labels == ["DRUG", "ANATOMY"]
    assert ner.tags == ["O", "B-DRUG", "I-DRUG", "B-ANATOMY", "I-ANATOMY"]
    with pytest.raises(ValueError, match="initialized"):
        ner.add_label("PROCEDURE")


def test_initialize_labels_from_data_and_metadata():
    nlp = make_nlp()
    egs = examples(nlp, annotated=["DISORDER", "DRUG", "ANATOMY"])
    nlp.initialize(lambda: egs)
    assert nlp.get_pipe("clinner_ner").labels == ["ANATOMY", "DISORDER", "DRUG"]


def test_uninitialized_error():
    nlp = make_nlp()
    with pytest.raises(ValueError):
        nlp("The patient has fever.")


def test_empty_and_short_docs(trained):
    assert ents(trained("")) == []
    docs = list(trained.pipe(["", "pain", " ", "Fever."]))
    assert [len(d) for d in docs] == [0, 1, 1, 2]
    losses = trained.update(examples(trained, [("", [])]), losses={})
    assert losses["clinner_ner"] == 0.0


def test_overfits_a_few_examples(trained):
    for text, gold in TRAIN:
        assert ents(trained(text)) == gold


def test_pipe_equals_call(trained):
    texts = [t for t, _ in TRAIN] * 2
    assert [ents(d) for d in trained.pipe(texts, batch_size=2)] == [ents(trained(t)) for t in texts]


def test_to_disk_from_disk_round_trip(trained, tmp_path):
    trained.to_disk(tmp_path / "nlp")
    loaded = spacy.load(tmp_path / "nlp")
    assert loaded.get_pipe("clinner_ner").labels == trained.get_pipe("clinner_ner").labels
    for text, _ in TRAIN:
        assert ents(loaded(text)) == ents(trained(text))
        a = trained.get_pipe("clinner_ner").model.predict([trained.make_doc(text)])[0]
        b = loaded.get_pipe("clinner_ner").model.predict([loaded.make_doc(text)])[0]
        assert numpy.array_equal(a, b)


def test_to_bytes_from_bytes_round_trip(trained):
    ner = trained.get_pipe("clinner_ner")
    fresh = make_nlp().get_pipe("clinner_ner")
    fresh.from_bytes(ner.to_bytes())
    assert fresh.labels == ner.labels and fresh.cfg == ner.cfg


def test_all_labels_annotated_equals_full_cross_entropy():
    """With complete annotation the partial-label loss is the ordinary one."""
    nlp = make_nlp()
    egs = examples(nlp, annotated=["DISORDER", "DRUG"])
    nlp.initialize(lambda: egs)
    ner = nlp.get_pipe("clinner_ner")
    scores = ner.model.predict([eg.predicted for eg in egs])
    loss_partial, _ = ner.get_loss(egs, scores)
    ner.cfg["partial_labels"] = False
    loss_full, _ = ner.get_loss(egs, scores)
    assert loss_partial == pytest.approx(loss_full)


def test_unannotated_label_is_not_learned_as_outside():
    """A DISORDER-only corpus must not teach that its unmarked drug mentions are "O"."""
    data = [("Fever was treated with ibuprofen today.", [(0, 5, "DISORDER")])] * 2
    nlp_partial = make_nlp()
    nlp_full = make_nlp(partial_labels=False)
    for nlp in (nlp_partial, nlp_full):
        egs = examples(nlp, data, annotated=["DISORDER"])
        nlp.get_pipe("clinner_ner").initialize(lambda: egs, nlp=nlp, labels=["DISORDER", "DRUG"])
        fix_random_seed(0)
        optimizer = nlp.create_optimizer()
        for _ in range(30):
            nlp.update(egs, sgd=optimizer, losses={})

    def p_outside(nlp):
        doc = nlp.make_doc(data[0][0])
        probs = nlp.get_pipe("clinner_ner").model.predict([doc])[0]
        return float(probs[4, 0])  # "ibuprofen", tag "O"
    # full supervision pushes "O" for ibuprofen to certainty; partial leaves O vs DRUG open
    assert p_outside(nlp_full) > 0.8
    assert p_outside(nlp_partial) < p_outside(nlp_full) - 0.2


def test_scorer_ignores_unannotated_labels():
    nlp = spacy.blank("en")
    ref = nlp.make_doc("Fever was treated with ibuprofen.")
    ref.ents = [ref.char_span(0, 5, label="DISORDER")]
    set_meta(ref, annotated_labels=["DISORDER"])
    pred = nlp.make_doc(ref.text)
    pred.ents = [pred.char_span(0, 5, label="DISORDER"), pred.char_span(23, 32, label="DRUG")]
    scores = score_partial_ner([Example(pred, ref)])
    assert scores["ents_p"] == 1.0 and "DRUG" not in scores["ents_per_type"]
    assert len(pred.ents) == 2  # the scored doc is left alone


def test_spacy_corpus_keeps_user_data(tmp_path):
    """spacy.Corpus.v1 (max_length=0) keeps annotated_labels on Example.reference."""
    nlp = spacy.blank("en")
    doc = nlp.make_doc("She denies cough.")
    set_meta(doc, corpus="toy", annotated_labels=["DISORDER"])
    DocBin(docs=[doc], store_user_data=True).to_disk(tmp_path / "c.spacy")
    (eg,) = list(Corpus(tmp_path / "c.spacy")(nlp))
    # msgpack hands lists back as tuples
    assert list(get_meta(eg.reference, "annotated_labels")) == ["DISORDER"]


def test_missing_annotation_gives_no_loss():
    nlp = make_nlp()
    egs = examples(nlp)
    nlp.initialize(lambda: egs)
    doc = nlp.make_doc("unknown words here")
    eg = Example(doc, doc.copy())  # reference without NER annotation: every token missing
    ner = nlp.get_pipe("clinner_ner")
    loss, d = ner.get_loss([eg], ner.model.predict([eg.predicted]))
    assert loss == 0.0 and not d[0].any()


def test_overfits_with_tiny_transformer(tmp_path):
    """The real stack: transformer (tiny random BERT) + listener + clinner_ner; round trip."""
    from thinc.api import Adam

    from clinner_spacy.models.tiny import make_tiny_encoder

    encoder = make_tiny_encoder(tmp_path / "enc", hidden=32, layers=2)
    nlp = spacy.blank("en")
    nlp.add_pipe("transformer", config={"model": {
        "@architectures": "clinner.FrozenTransformerModel.v1", "name": str(encoder),
        "get_spans": {
            "@span_getters": "spacy-transformers.strided_spans.v1", "window": 64, "stride": 48,
        },
        "tokenizer_config": {"use_fast": True},
    }})
    nlp.add_pipe("clinner_ner")
    egs = examples(nlp)
    fix_random_seed(0)
    nlp.initialize(lambda: egs)
    optimizer = Adam(0.005)
    for _ in range(20):  # it overfits after 12 steps with this seed
        nlp.update(egs, sgd=optimizer, losses={})
    for text, gold in TRAIN:
        assert ents(nlp(text)) == gold
    nlp.to_disk(tmp_path / "nlp")
    loaded = spacy.load(tmp_path / "nlp")
    texts = [t for t, _ in TRAIN]
    assert [ents(d) for d in loaded.pipe(texts)] == [ents(nlp(t)) for t in texts]


def test_foreign_gold_labels_are_reported_once(caplog):
    nlp = make_nlp()
    egs = examples(nlp)
    nlp.get_pipe("clinner_ner").initialize(lambda: egs, nlp=nlp, labels=["DISORDER"])
    optimizer = nlp.create_optimizer()
    with caplog.at_level("WARNING", logger="clinner_spacy"):
        nlp.update(egs, sgd=optimizer)
        nlp.update(egs, sgd=optimizer)
    assert [r.getMessage().count("'DRUG'") for r in caplog.records] == [1]
