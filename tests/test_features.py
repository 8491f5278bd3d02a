"""The feature-based arm: clinner.FrozenTransformerFeatures.v1 (cache) and clinner.FeatureTok2Vec.v1.

Tiny random encoders built in the test; no model hub.
"""
import numpy
import pytest
import spacy
import torch
from spacy.training import Example
from thinc.api import fix_random_seed

from clinner_spacy.models.feature_cache import FeatureCache, doc_key, encoder_fingerprint
from clinner_spacy.models.features import CACHE_ATTR, cache_stats
from clinner_spacy.models.tiny import make_tiny_encoder

TRAIN = [
    ("The patient has chest pain and took aspirin.", [(16, 26, "DISORDER"), (36, 43, "DRUG")]),
    ("Fever was treated with ibuprofen today.", [(0, 5, "DISORDER"), (23, 32, "DRUG")]),
    ("El paciente tiene dolor y fiebre.", [(18, 23, "DISORDER"), (26, 32, "DISORDER")]),
]
SPANS = {"@span_getters": "spacy-transformers.strided_spans.v1", "window": 16, "stride": 12}


@pytest.fixture(scope="module")
def encoder(tmp_path_factory):
    return make_tiny_encoder(tmp_path_factory.mktemp("enc") / "tiny", hidden=16, layers=3)


@pytest.fixture(scope="module")
def other_encoder(tmp_path_factory):
    return make_tiny_encoder(tmp_path_factory.mktemp("enc2") / "tiny", hidden=16, layers=3, seed=1)


def features_cfg(encoder, **kw):
    return {"@architectures": "clinner.FrozenTransformerFeatures.v1", "name": str(encoder), "get_spans": SPANS,
            "pooling": {"@layers": "reduce_mean.v1"}, "tokenizer_config": {"use_fast": True}, **kw}


def make_nlp(encoder, width=8, depth=1, **kw):
    nlp = spacy.blank("xx")
    tok2vec = {"@architectures": "clinner.FeatureTok2Vec.v1", "features": features_cfg(encoder, **kw),
               "width": width, "depth": depth, "dropout": 0.1}
    nlp.add_pipe("clinner_ner", config={"model": {"@architectures": "clinner.TokenTagger.v2", "tok2vec": tok2vec}})
    return nlp


def examples(nlp):
    return [Example.from_dict(nlp.make_doc(t), {"entities": e}) for t, e in TRAIN]


def features_of(nlp):
    return next(n for n in nlp.get_pipe("clinner_ner").model.walk() if n.name == "frozen_features")


def encoder_module(nlp):
    return features_of(nlp).get_ref("transformer").transformer


@pytest.mark.parametrize("hidden_layers", ["last", "0-1", "2"])
def test_cached_features_equal_uncached(encoder, hidden_layers):
    """Cache hits return what the encoder computes (to 1e-5), and a hit skips the encoder."""
    nlp = make_nlp(encoder, hidden_layers=hidden_layers, cache_max_tokens=10_000)
    nlp.initialize(lambda: examples(nlp))
    feats = features_of(nlp)
    feats.attrs[CACHE_ATTR] = FeatureCache(10_000)  # initialize ran the docs through already
    docs = [nlp.make_doc(t) for t, _ in TRAIN]
    first, _ = feats(docs, is_train=True)
    assert feats.attrs[CACHE_ATTR].misses == len(docs)
    again, _ = feats(docs, is_train=True)
    assert feats.attrs[CACHE_ATTR].hits == len(docs)
    uncached = feats.layers[0].predict(docs)  # the composed spacy-transformers layers themselves
    for doc, a, b, c in zip(docs, first, again, uncached):
        assert a.shape == (len(doc), 16)
        numpy.testing.assert_allclose(a, c, atol=1e-5)
        numpy.testing.assert_allclose(b, c, atol=1e-5)


def test_hidden_layers_select_encoder_layers(encoder):
    """'0-1' averages the outputs of layers 0 and 1; 'last' is the last hidden state."""
    nlp_last = make_nlp(encoder, hidden_layers="last")
    nlp_mix = make_nlp(encoder, hidden_layers="0-1")
    for nlp in (nlp_last, nlp_mix):
        nlp.initialize(lambda: examples(nlp))
    doc = nlp_last.make_doc(TRAIN[0][0])
    last = features_of(nlp_last).predict([doc])[0]
    mix = features_of(nlp_mix).predict([doc])[0]
    assert not numpy.allclose(last, mix)
    with pytest.raises(ValueError, match="hidden_layers"):
        make_nlp(encoder, hidden_layers="all")


def test_encoder_runs_only_the_layers_it_reads(encoder):
    """'0-1' loads 2 of the 3 layers, with the same features as the full-depth encoder."""
    shallow = make_nlp(encoder, hidden_layers="0-1")
    full = make_nlp(encoder, hidden_layers="0-1", transformer_config={"num_hidden_layers": 3})
    for nlp in (shallow, full):
        nlp.initialize(lambda: examples(nlp))
    assert len(encoder_module(shallow).encoder.layer) == 2
    assert len(encoder_module(full).encoder.layer) == 3
    docs = [shallow.make_doc(t) for t, _ in TRAIN]
    for a, b in zip(features_of(shallow).predict(docs), features_of(full).predict(docs)):
        numpy.testing.assert_allclose(a, b, atol=1e-5)


def test_hidden_layers_beyond_the_encoder_are_refused(encoder):
    """Asking for layer 5 of a 3-layer encoder fails at initialize, naming the encoder."""
    nlp = make_nlp(encoder, hidden_layers="4-5")
    with pytest.raises(ValueError, match="3 layers"):
        nlp.initialize(lambda: examples(nlp))


def test_cache_keys_never_stale(encoder, other_encoder):
    """Another encoder, another layer setting or another tokenisation never hit old entries."""
    nlp_a, nlp_b = make_nlp(encoder), make_nlp(other_encoder)
    for nlp in (nlp_a, nlp_b):
        nlp.initialize(lambda: examples(nlp))
    assert encoder_fingerprint(encoder_module(nlp_a)) != encoder_fingerprint(encoder_module(nlp_b))
    shared = FeatureCache(10_000)
    features_of(nlp_a).attrs[CACHE_ATTR] = shared
    features_of(nlp_b).attrs[CACHE_ATTR] = shared
    doc = nlp_a.make_doc(TRAIN[0][0])
    out_a = features_of(nlp_a).predict([doc])[0]
    out_b = features_of(nlp_b).predict([doc])[0]
    assert shared.hits == 0 and shared.misses == 2
    assert not numpy.allclose(out_a, out_b)
    numpy.testing.assert_allclose(out_b, features_of(nlp_b).layers[0].predict([doc])[0], atol=1e-5)
    # same text, other token boundaries: another key
    words = doc.text.replace(".", " .").split()
    retok = spacy.tokens.Doc(nlp_a.vocab, words=words[:2] + ["".join(words[2:4])] + words[4:])
    assert doc_key(retok) != doc_key(doc)


def test_loaded_weights_get_a_new_fingerprint(encoder, tmp_path):
    nlp = make_nlp(encoder)
    nlp.initialize(lambda: examples(nlp))
    before = encoder_fingerprint(encoder_module(nlp))
    with torch.no_grad():
        next(encoder_module(nlp).parameters()).add_(1.0)
    nlp.to_disk(tmp_path / "m")
    loaded = spacy.load(tmp_path / "m")
    assert encoder_fingerprint(encoder_module(loaded)) != before


def test_feature_cache_is_bounded_lru():
    cache = FeatureCache(10)
    for i in range(4):
        cache.put(i, numpy.zeros((4, 2), dtype="f"))
    assert cache.n_tokens <= 10 and len(cache) == 2
    assert cache.get(0) is None and cache.get(3) is not None
    cache.put("big", numpy.zeros((11, 2), dtype="f"))  # larger than the whole cache: not kept
    assert cache.get("big") is None
    off = FeatureCache(0)
    off.put(1, numpy.zeros((1, 2), dtype="f"))
    assert len(off) == 0
    with pytest.raises(ValueError):
        FeatureCache(-1)


def test_training_moves_the_head_only_and_overfits(encoder):
    """The encoder is frozen whole: training changes no encoder weight and learns the examples."""
    fix_random_seed(0)
    nlp = make_nlp(encoder, width=16)
    nlp.initialize(lambda: examples(nlp))
    before = {n: p.detach().clone() for n, p in encoder_module(nlp).named_parameters()}
    optimizer = nlp.create_optimizer()
    optimizer.learn_rate = 0.01
    for _ in range(150):
        nlp.update(examples(nlp), sgd=optimizer, drop=0.0)
    assert all(torch.equal(p, before[n]) for n, p in encoder_module(nlp).named_parameters())
    assert all(not p.requires_grad for p in encoder_module(nlp).parameters())
    for text, ents in TRAIN:
        doc = nlp(text)
        assert [(e.start_char, e.end_char, e.label_) for e in doc.ents] == ents
    stats = cache_stats(nlp.get_pipe("clinner_ner").model)
    assert stats["entries"] == len(TRAIN) and stats["hits"] > 100


def test_serialisation_round_trip_and_pipe(encoder, tmp_path):
    fix_random_seed(0)
    nlp = make_nlp(encoder, width=8)
    nlp.initialize(lambda: examples(nlp))
    optimizer = nlp.create_optimizer()
    for _ in range(5):
        nlp.update(examples(nlp), sgd=optimizer)
    texts = [t for t, _ in TRAIN] + ["", "pain"]
    expected = [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in nlp.pipe(texts)]
    assert expected == [[(e.start_char, e.end_char, e.label_) for e in nlp(t).ents] for t in texts]
    nlp.to_disk(tmp_path / "m")
    loaded = spacy.load(tmp_path / "m")
    probs = nlp.get_pipe("clinner_ner").model.predict([nlp.make_doc(texts[0])])[0]
    probs2 = loaded.get_pipe("clinner_ner").model.predict([loaded.make_doc(texts[0])])[0]
    numpy.testing.assert_allclose(probs, probs2, atol=1e-5)
    assert expected == [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in loaded.pipe(texts)]


def test_uninitialized_model_says_so(encoder):
    nlp = make_nlp(encoder)
    with pytest.raises(Exception):
        nlp("The patient has pain.")


def test_feature_tok2vec_rejects_odd_width(encoder):
    with pytest.raises(ValueError, match="even"):
        make_nlp(encoder, width=7)
