"""The CRF head: clinner.CRFTagger.v1 (models/crf.py), its partial-label loss (pipeline/crf_loss.py)
and the scored Viterbi (tags.viterbi_bio_batch), against brute-force enumeration of tag paths."""
import itertools

import numpy
import pytest
import spacy
from spacy.training import Example
from thinc.api import fix_random_seed

import clinner_spacy.models.crf  # noqa: F401  registers clinner.CRFTagger.v1 where the installed metadata predates it
from clinner_spacy.models.crf import is_crf
from clinner_spacy.pipeline.crf_loss import crf_marginals, crf_partial_label_loss, forward_backward
from clinner_spacy.pipeline.tags import bio_constraints, make_tags, viterbi_bio_batch
from clinner_spacy.util import set_meta

LABELS = ["DISORDER", "DRUG"]
K = len(make_tags(LABELS))
OK, FIRST = bio_constraints(K)
TOK2VEC = {
    "@architectures": "spacy.HashEmbedCNN.v2", "width": 32, "depth": 1, "embed_size": 500,
    "window_size": 1, "maxout_pieces": 2, "subword_features": True, "pretrained_vectors": None,
}
CRF_CONFIG = {"model": {"@architectures": "clinner.CRFTagger.v1", "tok2vec": TOK2VEC}}
TRAIN = [
    ("The patient has chest pain and took aspirin.", [(16, 26, "DISORDER"), (36, 43, "DRUG")]),
    ("Fever was treated with ibuprofen today.", [(0, 5, "DISORDER"), (23, 32, "DRUG")]),
    ("She denies cough.", [(11, 16, "DISORDER")]),
]


def valid_paths(n):
    for path in itertools.product(range(K), repeat=n):
        if FIRST[path[0]] and all(OK[a, b] for a, b in zip(path, path[1:])):
            yield path


def path_score(path, em, trans, start, end):
    return (start[path[0]] + end[path[-1]] + sum(em[t, y] for t, y in enumerate(path))
            + sum(trans[a, b] for a, b in zip(path, path[1:])))


def brute_log_z(em, mask, trans, start, end):
    scores = [path_score(p, em, trans, start, end) for p in valid_paths(len(em))
              if all(mask[t, y] for t, y in enumerate(p))]
    return numpy.logaddexp.reduce(scores) if scores else -numpy.inf


def random_problem(seed, lengths=(3, 1, 4, 2)):
    """Random scores and partial masks; some tokens missing (all True), every mask allows O."""
    rng = numpy.random.default_rng(seed)
    trans, start, end = rng.normal(size=(K, K)), rng.normal(size=K), rng.normal(size=K)
    ems = [rng.normal(size=(n, K)) for n in lengths]
    masks, has_loss = [], []
    for em in ems:
        mask = rng.random(em.shape) < 0.4
        mask[:, 0] = True
        missing = rng.random(len(em)) < 0.3
        mask[missing] = True
        masks.append(mask)
        has_loss.append(~missing)
    return ems, masks, has_loss, trans, start, end


@pytest.mark.parametrize("seed", range(4))
def test_log_z_full_and_constrained_match_brute_force(seed):
    ems, masks, _, trans, start, end = random_problem(seed)
    full = [numpy.ones_like(m) for m in masks]
    log_z, nodes, _ = forward_backward(ems + ems, full + masks, trans, start, end)
    for i, (em, mask) in enumerate(zip(ems, masks)):
        assert log_z[i] == pytest.approx(brute_log_z(em, full[i], trans, start, end), abs=1e-9)
        assert log_z[len(ems) + i] == pytest.approx(brute_log_z(em, mask, trans, start, end), abs=1e-9)
    # marginals of real tokens sum to one, padding gets none
    assert numpy.allclose(nodes[0, :3].sum(axis=1), 1.0) and not nodes[0, 3:].any()


def test_loss_matches_brute_force_and_one_hot_masks_give_crf_nll():
    ems, masks, has_loss, trans, start, end = random_problem(7)
    loss, _, _ = crf_partial_label_loss(ems, masks, has_loss, trans, start, end)
    expected = sum(brute_log_z(e, numpy.ones_like(m), trans, start, end) - brute_log_z(e, m, trans, start, end)
                   for e, m in zip(ems, masks)) / sum(h.sum() for h in has_loss)
    assert loss == pytest.approx(expected, abs=1e-9)
    # one gold path per doc: ordinary CRF negative log-likelihood
    gold = [list(valid_paths(len(e)))[3 % len(list(valid_paths(len(e))))] for e in ems]
    one_hot = [numpy.eye(K, dtype=bool)[list(g)] for g in gold]
    loss, _, _ = crf_partial_label_loss(ems, one_hot, [numpy.ones(len(e), bool) for e in ems], trans, start, end)
    nll = sum(brute_log_z(e, numpy.ones((len(e), K), bool), trans, start, end) - path_score(g, e, trans, start, end)
              for e, g in zip(ems, gold))
    assert loss == pytest.approx(nll / sum(len(e) for e in ems), abs=1e-9)


def test_gradients_match_finite_differences():
    ems, masks, has_loss, trans, start, end = random_problem(3, lengths=(3, 1, 2))
    _, d_ems, grads = crf_partial_label_loss(ems, masks, has_loss, trans, start, end)
    params = {"transitions": trans, "start": start, "end": end}

    def loss_at():
        return crf_partial_label_loss(ems, masks, has_loss, trans, start, end)[0]

    eps = 1e-6
    checks = [(em, d) for em, d in zip(ems, d_ems)] + [(params[k], grads[k]) for k in params]
    for value, analytic in checks:
        for idx in numpy.ndindex(value.shape):
            keep = value[idx]
            value[idx] = keep + eps
            up = loss_at()
            value[idx] = keep - eps
            down = loss_at()
            value[idx] = keep
            assert analytic[idx] == pytest.approx((up - down) / (2 * eps), abs=1e-5), idx
    # forbidden moves (into I-L from elsewhere, I-L first) never get gradient
    assert not grads["transitions"][~OK].any() and not grads["start"][~FIRST].any()


def test_infeasible_doc_is_left_out(caplog):
    ems, masks, has_loss, trans, start, end = random_problem(5, lengths=(3, 2))
    bad = numpy.zeros((2, K), bool)
    bad[0, 2] = True  # I-DISORDER first: no valid path
    bad[1, 0] = True
    with caplog.at_level("WARNING", logger="clinner_spacy"):
        loss, d, _ = crf_partial_label_loss(ems, [masks[0], bad], has_loss, trans, start, end)
    alone, d_alone, _ = crf_partial_label_loss(ems[:1], masks[:1], has_loss[:1], trans, start, end)
    assert numpy.isfinite(loss) and loss == pytest.approx(alone)
    assert not d[1].any() and numpy.allclose(d[0], d_alone[0])
    assert "no valid BIO path" in caplog.text


def test_marginals_match_brute_force():
    ems, _, _, trans, start, end = random_problem(2, lengths=(3, 0, 2))
    margs = crf_marginals(ems, trans, start, end)
    assert margs[1].shape == (0, K)
    em = ems[0]
    z = brute_log_z(em, numpy.ones_like(em, bool), trans, start, end)
    expected = numpy.zeros((3, K))
    for p in valid_paths(3):
        for t, y in enumerate(p):
            expected[t, y] += numpy.exp(path_score(p, em, trans, start, end) - z)
    assert numpy.allclose(margs[0], expected, atol=1e-6)


def test_scored_viterbi_matches_brute_force():
    rng = numpy.random.default_rng(11)
    for _ in range(10):
        trans, start, end = rng.normal(size=(K, K)), rng.normal(size=K), rng.normal(size=K)
        docs = [rng.normal(size=(n, K)) for n in (4, 0, 1, 3)]
        paths = viterbi_bio_batch(docs, trans, start, end)
        assert [len(p) for p in paths] == [4, 0, 1, 3]
        for em, path in zip(docs, paths):
            if len(em):
                best = max(valid_paths(len(em)), key=lambda p: path_score(p, em, trans, start, end))
                assert path.tolist() == list(best)


def test_zero_transitions_decode_like_the_unscored_viterbi():
    rng = numpy.random.default_rng(12)
    docs = [numpy.log(rng.dirichlet(numpy.ones(K), size=n)) for n in (6, 2, 0, 9)]
    scored = viterbi_bio_batch(docs, numpy.zeros((K, K)), numpy.zeros(K), numpy.zeros(K))
    assert [p.tolist() for p in scored] == [p.tolist() for p in viterbi_bio_batch(docs)]


# ---- the component with a CRF head ----


def make_nlp(**cfg):
    nlp = spacy.blank("en")
    nlp.add_pipe("clinner_ner", config={**CRF_CONFIG, **cfg})
    return nlp


def examples(nlp, data=TRAIN, annotated=None):
    out = []
    for text, ents in data:
        eg = Example.from_dict(nlp.make_doc(text), {"entities": ents})
        if annotated is not None:
            set_meta(eg.reference, annotated_labels=annotated)
        out.append(eg)
    return out


def ents(doc):
    return [(e.start_char, e.end_char, e.label_) for e in doc.ents]


@pytest.fixture(scope="module")
def trained():
    nlp = make_nlp()
    egs = examples(nlp)
    fix_random_seed(0)
    optimizer = nlp.initialize(lambda: egs)
    for _ in range(30):
        nlp.update(egs, sgd=optimizer, losses={})
    return nlp


def test_model_is_marked_and_keeps_refs():
    ner = make_nlp().get_pipe("clinner_ner")
    assert ner.is_crf and ner.model.has_ref("output_layer") and ner.model.has_ref("crf")
    softmax = spacy.blank("en").add_pipe("clinner_ner", config={"model": {
        "@architectures": "clinner.TokenTagger.v2", "tok2vec": TOK2VEC}})
    assert not softmax.is_crf and not is_crf(softmax.model)


def test_initialize_sizes_emissions_and_transitions():
    nlp = make_nlp()
    ner = nlp.get_pipe("clinner_ner")
    ner.initialize(lambda: examples(nlp), nlp=nlp, labels=LABELS)
    crf = ner.model.get_ref("crf")
    assert ner.model.get_ref("output_layer").get_dim("nO") == K
    assert crf.get_param("transitions").shape == (K, K) and crf.get_param("end").shape == (K,)
    with pytest.raises(ValueError, match="initialized"):
        ner.add_label("PROCEDURE")


def test_overfits_to_f1_one_and_learns_transitions(trained):
    for text, gold in TRAIN:
        assert ents(trained(text)) == gold
    scorer = trained.evaluate(examples(trained))
    assert scorer["ents_f"] == 1.0
    trans = trained.get_pipe("clinner_ner").model.get_ref("crf").get_param("transitions")
    assert numpy.abs(trans).max() > 0.01


def test_get_loss_accumulates_no_gradient(trained):
    ner = trained.get_pipe("clinner_ner")
    egs = examples(trained)
    crf = ner.model.get_ref("crf")
    before = crf.get_grad("transitions").copy() if crf.has_grad("transitions") else None
    loss, d = ner.get_loss(egs, ner.model.predict([eg.predicted for eg in egs]))
    assert numpy.isfinite(loss) and len(d) == len(egs)
    after = crf.get_grad("transitions") if crf.has_grad("transitions") else None
    assert (before is None and after is None) or numpy.array_equal(before, after)


def test_tag_probabilities_are_crf_marginals(trained):
    ner = trained.get_pipe("clinner_ner")
    (probs,) = ner.tag_probabilities([trained.make_doc(TRAIN[0][0])])
    assert probs.shape == (9, K) and numpy.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert ner.tag_probabilities([trained.make_doc("")])[0].shape == (0, K)


def test_empty_docs_and_pipe(trained):
    assert ents(trained("")) == []
    texts = [t for t, _ in TRAIN] + ["", "pain"]
    assert [ents(d) for d in trained.pipe(texts, batch_size=2)] == [ents(trained(t)) for t in texts]
    assert trained.update(examples(trained, [("", [])]), losses={})["clinner_ner"] == 0.0


def test_to_disk_from_disk_keeps_transitions(trained, tmp_path):
    trained.to_disk(tmp_path / "nlp")
    loaded = spacy.load(tmp_path / "nlp")
    a, b = (n.get_pipe("clinner_ner").model.get_ref("crf") for n in (trained, loaded))
    for name in ("transitions", "start", "end"):
        assert numpy.array_equal(a.get_param(name), b.get_param(name))
    assert loaded.get_pipe("clinner_ner").is_crf
    for text, _ in TRAIN:
        doc_a, doc_b = trained.make_doc(text), loaded.make_doc(text)
        assert ents(loaded(text)) == ents(trained(text))
        assert numpy.array_equal(trained.get_pipe("clinner_ner").predict([doc_a])[0],
                                 loaded.get_pipe("clinner_ner").predict([doc_b])[0])


def test_unannotated_label_is_not_learned_as_outside():
    """A DISORDER-only corpus must not teach the CRF that its unmarked drug mention is "O"."""
    data = [("Fever was treated with ibuprofen today.", [(0, 5, "DISORDER")])] * 2
    p_outside = {}
    for partial in (True, False):
        nlp = make_nlp(partial_labels=partial)
        egs = examples(nlp, data, annotated=["DISORDER"])
        ner = nlp.get_pipe("clinner_ner")
        ner.initialize(lambda: egs, nlp=nlp, labels=LABELS)
        fix_random_seed(0)
        optimizer = nlp.create_optimizer()
        for _ in range(30):
            nlp.update(egs, sgd=optimizer, losses={})
        p_outside[partial] = float(ner.tag_probabilities([nlp.make_doc(data[0][0])])[0][4, 0])
    # full supervision makes "O" for ibuprofen near certain; partial leaves O vs DRUG open
    assert p_outside[False] > 0.8
    assert p_outside[True] < p_outside[False] - 0.2
