"""Freezing and L2-SP of clinner.FrozenTransformerModel.v1, on a tiny random encoder."""
import pytest
import spacy
import torch
from spacy.training import Example
from thinc.api import Adam, fix_random_seed

from clinner_spacy.models.freeze_spec import parse_freeze_layers
from clinner_spacy.models.tiny import make_tiny_encoder
from clinner_spacy.training.transfer import make_transfer_settings

TRAIN = [
    ("The patient has chest pain and took aspirin.", [(16, 26, "DISORDER"), (36, 43, "DRUG")]),
    ("Fever was treated with ibuprofen today.", [(0, 5, "DISORDER"), (23, 32, "DRUG")]),
]
SPANS = {"@span_getters": "spacy-transformers.strided_spans.v1", "window": 64, "stride": 48}


@pytest.fixture(scope="module")
def encoder(tmp_path_factory):
    return make_tiny_encoder(tmp_path_factory.mktemp("enc") / "tiny", hidden=16, layers=3)


def make_nlp(encoder, arch="clinner.FrozenTransformerModel.v1", **freeze):
    nlp = spacy.blank("en")
    model = {"@architectures": arch, "name": str(encoder), "get_spans": SPANS,
             "tokenizer_config": {"use_fast": True}, **freeze}
    nlp.add_pipe("transformer", config={"model": model})
    nlp.add_pipe("clinner_ner")
    return nlp


def egs(nlp):
    return [Example.from_dict(nlp.make_doc(t), {"entities": e}) for t, e in TRAIN]


def encoder_of(nlp):
    return nlp.get_pipe("transformer").model.transformer


def snapshot(nlp):
    return {n: p.detach().clone() for n, p in encoder_of(nlp).named_parameters()}


def run_steps(nlp, optimizer, steps=3):
    examples = egs(nlp)
    for _ in range(steps):
        nlp.update(examples, sgd=optimizer, losses={})


def changed(nlp, before):
    return {n for n, p in encoder_of(nlp).named_parameters() if not torch.equal(p, before[n])}


@pytest.mark.parametrize(
    "spec,n,expected",
    [("", 12, set()), ("none", 4, set()), ("all", 3, {0, 1, 2}),
     ("intermediate", 12, set(range(11))), ("0-3", 12, {0, 1, 2, 3}), ("0,2,5", 12, {0, 2, 5}),
     ("0-1, 7", 12, {0, 1, 7}), ("0.2", 12, {0, 1}), ("20%", 6, {0}), ("0.5", 6, {0, 1, 2}),
     ("1.0", 4, {0, 1, 2, 3}), ("0.0", 4, set())],
)
def test_parse_freeze_layers(spec, n, expected):
    assert parse_freeze_layers(spec, n) == expected


@pytest.mark.parametrize("spec", ["1.5", "x", "3-1", "0-12", "-1"])
def test_parse_freeze_layers_errors(spec):
    with pytest.raises(ValueError, match="freeze_layers"):
        parse_freeze_layers(spec, 12)


def test_bad_spec_fails_when_config_loads(encoder):
    with pytest.raises(ValueError, match="freeze_layers"):
        make_nlp(encoder, freeze_layers="lower")


def test_intermediate_layers_frozen_bit_identical(encoder):
    fix_random_seed(0)
    nlp = make_nlp(encoder, freeze_layers="intermediate")
    optimizer = nlp.initialize(lambda: egs(nlp))
    before = snapshot(nlp)
    run_steps(nlp, optimizer)
    moved = changed(nlp, before)
    frozen = {n for n in before if n.startswith(("encoder.layer.0.", "encoder.layer.1."))}
    assert frozen and not (moved & frozen)
    assert any(n.startswith("embeddings.") for n in moved)
    assert any(n.startswith("encoder.layer.2.") for n in moved)
    # optimizer state exists for trained encoder weights and none for frozen ones
    keys = {key[1] for key in optimizer.mom1 if isinstance(key[1], str)}
    assert not (keys & frozen) and "encoder.layer.2.output.dense.weight" in keys


def test_whole_encoder_frozen(encoder):
    fix_random_seed(0)
    nlp = make_nlp(encoder, freeze_embeddings=True, freeze_layers="all")
    optimizer = nlp.initialize(lambda: egs(nlp))
    before = snapshot(nlp)
    head = nlp.get_pipe("clinner_ner").model.get_ref("output_layer")
    w_before = head.get_param("W").copy()
    run_steps(nlp, optimizer)
    assert not changed(nlp, before)
    assert not (head.get_param("W") == w_before).all()  # the classifier still trains
    # no optimizer state for any encoder weight (thinc layers use names without dots)
    assert not any("." in str(key[1]) for key in optimizer.mom1)


def test_freezing_applies_after_from_disk(encoder, tmp_path):
    fix_random_seed(0)
    nlp = make_nlp(encoder, freeze_layers="0-1", freeze_embeddings=True)
    nlp.initialize(lambda: egs(nlp))
    nlp.to_disk(tmp_path / "p")
    loaded = spacy.load(tmp_path / "p")
    assert all(p.requires_grad for p in encoder_of(loaded).parameters())  # not yet used
    optimizer = loaded.resume_training()
    before = snapshot(loaded)
    run_steps(loaded, optimizer, steps=2)
    moved = changed(loaded, before)
    assert moved and all(n.startswith("encoder.layer.2.") for n in moved)


def test_transfer_callback_on_plain_transformer(encoder):
    """Sourced components keep their source config; the callback freezes them anyway."""
    fix_random_seed(0)
    nlp = make_nlp(encoder, arch="spacy-transformers.TransformerModel.v3")
    optimizer = nlp.initialize(lambda: egs(nlp))
    run_steps(nlp, optimizer, steps=1)  # gradients exist everywhere now
    make_transfer_settings(freeze_embeddings=True, freeze_layers="intermediate")(nlp)
    before = snapshot(nlp)
    run_steps(nlp, optimizer, steps=2)
    # weight decay would move params that kept a zeroed .grad: frozen ones must not move
    moved = changed(nlp, before)
    assert moved and all(n.startswith("encoder.layer.2.") for n in moved)
    with pytest.raises(ValueError, match="no component"):
        make_transfer_settings(component="trf")(nlp)


def distance_after_steps(encoder, alpha):
    fix_random_seed(0)
    nlp = make_nlp(encoder, l2sp_alpha=alpha)
    nlp.initialize(lambda: egs(nlp))
    optimizer = Adam(0.01)
    run_steps(nlp, optimizer, steps=1)  # the first training step captures the anchor
    start = snapshot(nlp)
    # the anchor is the weights before the first update
    assert (alpha == 0) or set(getattr(encoder_of(nlp), "_clinner_l2sp_reference"))
    run_steps(nlp, optimizer, steps=6)
    params = encoder_of(nlp).named_parameters()
    return sum(float((p.detach() - start[n]).pow(2).sum()) for n, p in params)


def test_l2sp_keeps_weights_closer_to_start(encoder):
    free = distance_after_steps(encoder, 0.0)
    pulled = distance_after_steps(encoder, 50.0)
    assert pulled < 0.8 * free


def test_negative_l2sp_alpha_rejected(encoder):
    with pytest.raises(ValueError, match="l2sp_alpha"):
        make_nlp(encoder, l2sp_alpha=-1.0)


def test_replace_listeners_keeps_freezing_and_reloads(encoder, tmp_path):
    """replace_listeners writes clinner.FrozenTok2VecTransformer.v1, not Tok2VecTransformer.v3."""
    from spacy_transformers.layers.transformer_model import TransformerModel

    from clinner_spacy.models.frozen import SETTINGS_ATTR

    fix_random_seed(0)
    nlp = make_nlp(encoder, freeze_embeddings=True, freeze_layers="intermediate", l2sp_alpha=0.5)
    nlp.initialize(lambda: egs(nlp))
    texts = [t for t, _ in TRAIN]
    expected = [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in nlp.pipe(texts)]
    nlp.replace_listeners("transformer", "clinner_ner", ["model.tok2vec"])
    # the private copy is frozen and pulled like the original, before saving too
    (copy,) = [n for n in nlp.get_pipe("clinner_ner").model.walk() if isinstance(n, TransformerModel)]
    assert copy.attrs[SETTINGS_ATTR] == nlp.get_pipe("transformer").model.attrs[SETTINGS_ATTR]
    assert copy.attrs["has_transformer"]
    cfg = nlp.config["components"]["clinner_ner"]["model"]["tok2vec"]
    assert cfg["@architectures"] == "clinner.FrozenTok2VecTransformer.v1"
    assert (cfg["freeze_layers"], cfg["freeze_embeddings"], cfg["l2sp_alpha"]) == ("intermediate", True, 0.5)
    nlp.remove_pipe("transformer")
    nlp.to_disk(tmp_path / "p")
    loaded = spacy.load(tmp_path / "p")
    assert loaded.pipe_names == ["clinner_ner"]
    got = [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in loaded.pipe(texts)]
    assert got == expected
    (trf,) = [n for n in loaded.get_pipe("clinner_ner").model.walk() if isinstance(n, TransformerModel)]
    settings = trf.attrs[SETTINGS_ATTR]
    assert (settings.freeze_embeddings, settings.freeze_layers, settings.l2sp_alpha) == (True, "intermediate", 0.5)
    optimizer = loaded.resume_training()
    before = {n: p.detach().clone() for n, p in trf.transformer.named_parameters()}
    run_steps(loaded, optimizer, steps=2)
    moved = {n for n, p in trf.transformer.named_parameters() if not torch.equal(p, before[n])}
    assert moved and all(n.startswith("encoder.layer.2.") for n in moved)


@pytest.mark.parametrize("arch", ["clinner.FrozenTransformerModel.v1", "spacy-transformers.TransformerModel.v3"])
def test_transfer_callback_states_the_freezing_in_the_saved_config(encoder, tmp_path, arch):
    """The saved config says what the callback applied, not the source's settings, and the
    pipeline loads with that freezing again."""
    from spacy.util import load_config

    from clinner_spacy.models.frozen import SETTINGS_ATTR, TransferSettings

    fix_random_seed(0)
    nlp = make_nlp(encoder, arch=arch)  # the source's settings: nothing frozen
    nlp.initialize(lambda: egs(nlp))
    make_transfer_settings(freeze_embeddings=True, freeze_layers="intermediate", l2sp_alpha=0.5)(nlp)
    applied = {"freeze_embeddings": True, "freeze_layers": "intermediate", "l2sp_alpha": 0.5}
    cfg = nlp.config["components"]["transformer"]["model"]
    assert cfg["@architectures"] == "clinner.FrozenTransformerModel.v1"
    assert {key: cfg[key] for key in applied} == applied
    nlp.to_disk(tmp_path / "p")
    saved = load_config(tmp_path / "p" / "config.cfg")["components"]["transformer"]["model"]
    assert {key: saved[key] for key in applied} == applied
    loaded = spacy.load(tmp_path / "p")
    assert loaded.get_pipe("transformer").model.attrs[SETTINGS_ATTR] == TransferSettings(True, "intermediate", 0.5)
    optimizer = loaded.resume_training()
    before = snapshot(loaded)
    run_steps(loaded, optimizer, steps=2)
    moved = changed(loaded, before)
    assert moved and all(n.startswith("encoder.layer.2.") for n in moved)


def test_transfer_callback_rejects_a_config_it_cannot_write(encoder):
    from clinner_spacy.training.transfer import record_settings

    nlp = make_nlp(encoder)
    nlp.get_pipe_config("transformer")["model"]["@architectures"] = "some.OtherTransformer.v1"
    with pytest.raises(ValueError, match="could not state the freezing"):
        make_transfer_settings(freeze_layers="intermediate")(nlp)
    assert record_settings({"a": {"@architectures": "spacy-transformers.TransformerModel.v3"}}, {"l2sp_alpha": 1.0}) == 1
