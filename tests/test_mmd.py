"""La-DTL's label-aware MMD (pipeline/mmd_loss.py, pipeline/mmd.py) as a training option of
clinner_ner, the two-domain reader clinner.MixedCorpus.v1 and the clinner.mmd_settings.v1 callback.

Tiny models (spacy.HashEmbedCNN.v2) built in the test; no downloads.
"""
import itertools

import numpy
import pytest
import spacy
from spacy.tokens import DocBin
from spacy.training import Example
from thinc.api import fix_random_seed

# registered here by import: the installed package's entry points may predate these names
import clinner_spacy.training.mixed_corpus  # noqa: F401
import clinner_spacy.training.mmd_settings  # noqa: F401
from clinner_spacy.models.tok2vec_split import begin_update_split
from clinner_spacy.pipeline.mmd import LabelAwareMMD, token_labels
from clinner_spacy.pipeline.mmd_loss import LADTL_SIGMAS, label_aware_mmd2, mmd2
from clinner_spacy.util import get_meta, set_meta

TOK2VEC = {
    "@architectures": "spacy.HashEmbedCNN.v2", "width": 16, "depth": 1, "embed_size": 300,
    "window_size": 1, "maxout_pieces": 2, "subword_features": True, "pretrained_vectors": None,
}
SOURCE = [
    ("The patient has chest pain and took aspirin.", [(16, 26, "DISORDER"), (36, 43, "DRUG")]),
    ("Fever was treated with ibuprofen today.", [(0, 5, "DISORDER"), (23, 32, "DRUG")]),
    ("She denies cough and took insulin.", [(11, 16, "DISORDER"), (26, 33, "DRUG")]),
]
TARGET = [
    ("El paciente tiene fiebre y toma aspirina.", [(18, 24, "DISORDER"), (32, 40, "DRUG")]),
    ("Dolor de pecho tratado con ibuprofeno.", [(0, 14, "DISORDER"), (27, 37, "DRUG")]),
]


def direct_mmd2(X, Y, sigmas=LADTL_SIGMAS):
    """MMD^2 by its definition, pair by pair."""
    def k(a, b):
        d2 = float(((a - b) ** 2).sum())
        return sum(numpy.exp(-d2 / (2 * s)) for s in sigmas)

    kxx = numpy.mean([k(a, b) for a, b in itertools.product(X, X)])
    kyy = numpy.mean([k(a, b) for a, b in itertools.product(Y, Y)])
    kxy = numpy.mean([k(a, b) for a, b in itertools.product(X, Y)])
    return kxx + kyy - 2 * kxy


def test_sigmas_are_ladtls():
    assert len(LADTL_SIGMAS) == 19 and LADTL_SIGMAS[0] == 1e-6 and LADTL_SIGMAS[-1] == 1e6
    assert LADTL_SIGMAS[6:14] == (1, 5, 10, 15, 20, 25, 30, 35)


@pytest.mark.parametrize("n,m,scale", [(4, 6, 1.0), (1, 3, 3.0), (7, 5, 0.1)])
def test_mmd2_matches_direct_formula(n, m, scale):
    rng = numpy.random.default_rng(n * 10 + m)
    X, Y = rng.normal(size=(n, 5)) * scale, rng.normal(1.0, 1.0, size=(m, 5)) * scale
    value, dX, dY = mmd2(X, Y)
    assert value == pytest.approx(direct_mmd2(X, Y), rel=1e-9, abs=1e-12)
    assert dX.shape == X.shape and dY.shape == Y.shape


def test_mmd2_gradient_matches_finite_differences():
    rng = numpy.random.default_rng(1)
    X, Y = rng.normal(size=(4, 3)), rng.normal(0.5, 1.5, size=(5, 3))
    _, dX, dY = mmd2(X, Y)
    eps = 1e-6
    for A, dA in ((X, dX), (Y, dY)):
        for idx in numpy.ndindex(A.shape):
            old = A[idx]
            A[idx] = old + eps
            up = mmd2(X, Y)[0]
            A[idx] = old - eps
            down = mmd2(X, Y)[0]
            A[idx] = old
            assert dA[idx] == pytest.approx((up - down) / (2 * eps), rel=1e-4, abs=1e-7)


def test_mmd2_of_identical_sets_is_zero():
    X = numpy.random.default_rng(2).normal(size=(6, 4))
    value, dX, dY = mmd2(X, X.copy())
    assert value == pytest.approx(0.0, abs=1e-10)
    assert numpy.abs(dX).max() < 1e-8 and numpy.abs(dY).max() < 1e-8


def test_mmd2_rejects_empty_or_mismatched():
    with pytest.raises(ValueError, match="non-empty"):
        mmd2(numpy.zeros((0, 3)), numpy.zeros((2, 3)))
    with pytest.raises(ValueError, match="non-empty"):
        mmd2(numpy.zeros((2, 3)), numpy.zeros((2, 4)))


def test_label_aware_sum_skips_one_domain_labels():
    rng = numpy.random.default_rng(3)
    V = rng.normal(size=(9, 4))
    labels = ["O", "O", "O", "D", "D", "O", "O", "D", "X"]
    source = numpy.array([1, 1, 1, 1, 1, 0, 0, 0, 1], dtype=bool)  # "X" only in the source
    total, grad, per_label = label_aware_mmd2(V, labels, source)
    assert set(per_label) == {"O", "D"}
    assert per_label["O"] == pytest.approx(mmd2(V[[0, 1, 2]], V[[5, 6]])[0])
    assert per_label["D"] == pytest.approx(mmd2(V[[3, 4]], V[[7]])[0])
    assert total == pytest.approx(sum(per_label.values()))
    assert not grad[8].any()


def make_nlp(model="clinner.TokenTagger.v1", **cfg):
    nlp = spacy.blank("xx")
    nlp.add_pipe("clinner_ner", config={"model": {"@architectures": model, "tok2vec": TOK2VEC}, **cfg})
    return nlp


def make_examples(nlp, key="train_domain"):
    out = []
    for domain, data, lang in (("source", SOURCE, "en"), ("target", TARGET, "es")):
        for text, ents in data:
            eg = Example.from_dict(nlp.make_doc(text), {"entities": ents})
            set_meta(eg.reference, lang=lang, corpus="toy", **{key: domain})
            out.append(eg)
    return out


def test_token_labels_drop_bio_and_missing():
    nlp = spacy.blank("xx")
    eg = Example.from_dict(nlp.make_doc("Dolor de pecho hoy ."),
                           {"entities": ["B-DISORDER", "I-DISORDER", "L-DISORDER", "O", "-"]})
    assert token_labels(eg) == ["DISORDER", "DISORDER", "DISORDER", "O", None]


def test_domain_rule():
    mmd = LabelAwareMMD(0.02, domain_key="lang", source_values=["en"])
    nlp = spacy.blank("xx")
    en, es, bare = (nlp.make_doc("a"), nlp.make_doc("b"), nlp.make_doc("c"))
    set_meta(en, lang="en"), set_meta(es, lang="es")
    assert [mmd.domain(d) for d in (en, es, bare)] == ["source", "target", None]
    with pytest.raises(ValueError, match="mmd_weight"):
        LabelAwareMMD(-1.0)


def weights(nlp):
    model = nlp.get_pipe("clinner_ner").model
    return [(node.id, name, node.get_param(name).copy())
            for node in model.walk() for name in node.param_names if node.has_param(name)]


def one_step(nlp, egs, drop=0.0):
    fix_random_seed(0)
    optimizer = nlp.initialize(lambda: egs)
    losses = nlp.update(egs, sgd=optimizer, losses={}, drop=drop)
    return losses, [w for _, _, w in weights(nlp)]


@pytest.mark.parametrize("model", ["clinner.TokenTagger.v1", "clinner.CRFTagger.v1"])
def test_weight_zero_is_the_old_update(model):
    """mmd_weight 0 (the default) on a two-domain batch: the same losses and weights after a step
    as a component built without the option's settings, and no clinner_ner_mmd entry."""
    plain = make_nlp(model)
    losses_a, w_a = one_step(plain, make_examples(plain), drop=0.1)
    zero = make_nlp(model, mmd_weight=0.0, mmd_max_tokens=3)
    losses_b, w_b = one_step(zero, make_examples(zero), drop=0.1)
    assert losses_a == losses_b and list(losses_b) == ["clinner_ner"]
    assert all(numpy.array_equal(a, b) for a, b in zip(w_a, w_b))


def test_split_forward_equals_begin_update():
    """The tok2vec/head split (used with the MMD) computes the same outputs and gradients."""
    nlp = make_nlp("clinner.CRFTagger.v1")
    egs = make_examples(nlp)
    nlp.initialize(lambda: egs)
    model = nlp.get_pipe("clinner_ner").model
    docs = [eg.predicted for eg in egs]
    rng = numpy.random.default_rng(0)
    scores, backprop = model.begin_update(docs)
    d_scores = [rng.normal(size=s.shape).astype("f") for s in scores]
    backprop(d_scores)
    grads_a = {(n.id, p): n.get_grad(p).copy() for n in model.walk() for p in n.grad_names}
    for n in model.walk():
        for p in n.grad_names:
            n.set_grad(p, n.get_grad(p) * 0)
    scores_b, vectors, backprop_b = begin_update_split(model, docs)
    assert all(numpy.array_equal(a, b) for a, b in zip(scores, scores_b))
    backprop_b(d_scores, [numpy.zeros_like(v) for v in vectors])
    for (node_id, name), grad in grads_a.items():
        node = next(n for n in model.walk() if n.id == node_id)
        numpy.testing.assert_allclose(node.get_grad(name), grad, rtol=1e-5, atol=1e-7)


def test_split_needs_a_tok2vec_chain():
    from thinc.api import Linear, chain

    with pytest.raises(ValueError, match="tok2vec"):
        begin_update_split(chain(Linear(2, 2), Linear(2, 2)), [])


def train_mmd(weight, steps):
    nlp = make_nlp(mmd_weight=weight)
    egs = make_examples(nlp)
    fix_random_seed(0)
    optimizer = nlp.initialize(lambda: egs)
    ner = nlp.get_pipe("clinner_ner")
    probe = LabelAwareMMD(1.0)

    def term():
        vectors = ner.model.get_ref("tok2vec").predict([eg.predicted for eg in egs])
        return probe(egs, vectors, ner.labels)[0]

    before = term()
    history = []
    for _ in range(steps):
        losses = nlp.update(egs, sgd=optimizer, losses={})
        history.append(losses.get("clinner_ner_mmd"))
    return nlp, before, term(), history


def test_mmd_training_reduces_the_term():
    """Two domains with different words: with the term on, training pulls each label's source
    and target vectors together; the supervised-only run leaves them further apart."""
    nlp, before, after, history = train_mmd(weight=1.0, steps=30)
    assert all(h is not None and h >= 0 for h in history)
    _, before0, after0, history0 = train_mmd(weight=0.0, steps=30)
    assert history[-1] < history[0] and after < 0.7 * before
    assert before0 == pytest.approx(before) and history0 == [None] * 30
    assert after < after0
    assert nlp.get_pipe("clinner_ner").cfg["mmd_weight"] == 1.0


def test_mmd_needs_both_domains_and_subsamples():
    nlp = make_nlp(mmd_weight=0.5, mmd_max_tokens=2)
    egs = make_examples(nlp)
    fix_random_seed(0)
    optimizer = nlp.initialize(lambda: egs)
    source_only = [eg for eg in egs if get_meta(eg.reference, "train_domain") == "source"]
    assert "clinner_ner_mmd" not in nlp.update(source_only, sgd=optimizer, losses={})
    losses = nlp.update(egs, sgd=optimizer, losses={})
    assert losses["clinner_ner_mmd"] > 0
    ner = nlp.get_pipe("clinner_ner")
    vectors = ner.model.get_ref("tok2vec").predict([eg.predicted for eg in egs])
    _, grads, _ = ner.mmd(egs, vectors, ner.labels)
    # at most 2 tokens per (label, domain) get a gradient: 3 labels x 2 domains
    assert sum(int(numpy.abs(g).sum(axis=1).astype(bool).sum()) for g in grads) <= 12


def write_docbin(path, data, lang, extra=None):
    nlp = spacy.blank("xx")
    db = DocBin(store_user_data=True)
    for i, (text, ents) in enumerate(data):
        doc = nlp.make_doc(text)
        doc.ents = [doc.char_span(s, e, label=label) for s, e, label in ents]
        db.add(set_meta(doc, corpus="toy", doc_id=f"{lang}{i}", lang=lang,
                        annotated_labels=["DISORDER", "DRUG"], **(extra or {})))
    db.to_disk(path)
    return path


def read_mixed(**kw):
    corpus = spacy.registry.resolve({"x": {"@readers": "clinner.MixedCorpus.v1", **kw}})["x"]
    return corpus, list(corpus(spacy.blank("xx")))


def test_mixed_corpus_reads_both_files_with_user_data(tmp_path):
    src = write_docbin(tmp_path / "src.spacy", SOURCE, "en", {"note": {"kept": True}})
    tgt = write_docbin(tmp_path / "tgt.spacy", TARGET[:1], "es")
    corpus, egs = read_mixed(source_path=str(src), target_path=str(tgt), upsample=False)
    metas = [get_meta(eg.reference) for eg in egs]
    assert sorted(m["doc_id"] for m in metas) == ["en0", "en1", "en2", "es0"]
    for m in metas:
        assert m["train_domain"] == ("source" if m["lang"] == "en" else "target")
        assert list(m["annotated_labels"]) == ["DISORDER", "DRUG"] and m["corpus"] == "toy"
        assert m.get("note", {"kept": True}) == {"kept": True}
    assert all(eg.reference.ents for eg in egs)
    # upsampled: the one target doc three times, as copies; a new order on the next call
    _, up = read_mixed(source_path=str(src), target_path=str(tgt), upsample=True, seed=1)
    assert sorted(get_meta(eg.reference, "doc_id") for eg in up) == ["en0", "en1", "en2", "es0", "es0", "es0"]
    assert len({id(eg.reference) for eg in up}) == 6
    orders = {tuple(get_meta(eg.reference, "doc_id") for eg in corpus(spacy.blank("xx"))) for _ in range(6)}
    assert len(orders) > 1


def test_mixed_corpus_missing_file_is_a_clear_error(tmp_path):
    src = write_docbin(tmp_path / "src.spacy", SOURCE, "en")
    with pytest.raises(ValueError, match="target_path .*nope.spacy.* does not exist .*paths.target_train"):
        read_mixed(source_path=str(src), target_path=str(tmp_path / "nope.spacy"))
    with pytest.raises(ValueError, match="target_path is not set .*paths.target_train"):
        read_mixed(source_path=str(src), target_path=None)


def test_mmd_settings_callback_sets_a_sourced_component():
    nlp = make_nlp()
    callback = spacy.registry.resolve({"x": {"@callbacks": "clinner.mmd_settings.v1", "weight": 0.02,
                                             "max_tokens": 64, "seed": 3}})["x"]
    callback(nlp)
    ner = nlp.get_pipe("clinner_ner")
    assert (ner.mmd.weight, ner.mmd.max_tokens, ner.mmd.seed) == (0.02, 64, 3)
    saved = nlp.config["components"]["clinner_ner"]
    assert (saved["mmd_weight"], saved["mmd_max_tokens"], saved["mmd_domain_key"]) == (0.02, 64, "train_domain")
    with pytest.raises(ValueError, match="no component 'ner'"):
        spacy.registry.resolve({"x": {"@callbacks": "clinner.mmd_settings.v1", "component": "ner"}})["x"](nlp)


def test_mmd_with_a_crf_head_keeps_training_the_transitions():
    nlp = make_nlp("clinner.CRFTagger.v1", mmd_weight=0.5)
    egs = make_examples(nlp)
    fix_random_seed(0)
    optimizer = nlp.initialize(lambda: egs)
    crf = nlp.get_pipe("clinner_ner").model.get_ref("crf")
    before = crf.get_param("transitions").copy()
    losses = nlp.update(egs, sgd=optimizer, losses={})
    assert losses["clinner_ner_mmd"] > 0 and losses["clinner_ner"] > 0
    assert not numpy.array_equal(before, crf.get_param("transitions"))
