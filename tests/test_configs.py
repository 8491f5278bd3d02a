"""configs/*.cfg are complete (fill-config adds nothing) and train for a step on tiny data:
source -> saved pipeline -> transfer sourcing it, which must keep its frozen layers unchanged."""
from pathlib import Path

import pytest
import spacy
import torch
from spacy import util
from spacy.cli.init_config import fill_config
from spacy.cli.train import train as spacy_train
from spacy.tokens import DocBin

from clinner_spacy.models.frozen import SETTINGS_ATTR
from clinner_spacy.models.tiny import make_tiny_encoder
from clinner_spacy.util import set_meta

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
TRAIN = [
    ("The patient has chest pain and took aspirin.", [(16, 26, "DISORDER"), (36, 43, "DRUG")]),
    ("Fever was treated with ibuprofen today.", [(0, 5, "DISORDER"), (23, 32, "DRUG")]),
    ("El paciente tiene fiebre.", [(18, 24, "DISORDER")]),
]
# one optimizer step, evaluated once; warmup 0 so that the single step has a learning rate
ONE_STEP = {
    "training.max_steps": 1,
    "training.eval_frequency": 1,
    "training.optimizer.learn_rate.warmup_steps": 0,
    "training.batcher.size": 500,
}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("configs")
    make_tiny_encoder(root / "encoder", hidden=16, layers=3)
    nlp = spacy.blank("xx")
    db = DocBin(store_user_data=True)
    for i, (text, ents) in enumerate(TRAIN):
        doc = nlp.make_doc(text)
        doc.ents = [doc.char_span(s, e, label=label) for s, e, label in ents]
        # the Spanish doc comes from a DISORDER-only corpus
        labels = ["DISORDER"] if i == 2 else ["DISORDER", "DRUG"]
        db.add(set_meta(doc, corpus="toy", doc_id=str(i), annotated_labels=labels))
    db.to_disk(root / "train.spacy")
    return root


def data_paths(root):
    return {"paths.train": str(root / "train.spacy"), "paths.dev": str(root / "train.spacy")}


def encoder_path(root):
    return {"paths.encoder": str(root / "encoder")}


def assert_filled(path: Path, tmp_path: Path, **overrides):
    if overrides:
        config = util.load_config(path, overrides=overrides, interpolate=False)
        path = tmp_path / path.name
        config.to_disk(path)
    before, filled = fill_config(tmp_path / "filled.cfg", path, silent=True)
    assert before.to_str() == filled.to_str(), f"{path.name}: fill-config would change it"


@pytest.mark.parametrize("name", ["source.cfg", "target_only.cfg"])
def test_config_is_filled(name, tmp_path):
    config = util.load_config(CONFIGS / name)
    assert all(config["paths"][key] is None for key in ("train", "dev", "encoder", "source_model"))
    assert config["training"]["seed"] == "${system.seed}"  # referenced, not repeated
    assert_filled(CONFIGS / name, tmp_path)


def test_method_settings():
    source = util.load_config(CONFIGS / "source.cfg")
    transfer = util.load_config(CONFIGS / "transfer.cfg")
    for cfg, lr, drop, wd in ((source, 2e-5, 0.3, 0.01), (transfer, 5e-5, 0.4, 0.005)):
        t = cfg["training"]
        assert t["dropout"] == drop and t["optimizer"]["L2"] == wd
        assert t["optimizer"]["L2_is_weight_decay"] is True
        assert t["optimizer"]["learn_rate"]["initial_rate"] == lr
        assert t["optimizer"]["learn_rate"]["warmup_steps"] == t["max_steps"] // 10
    assert transfer["initialize"]["before_init"]["freeze_layers"] == "intermediate"


def test_source_then_transfer_one_step(workdir, tmp_path):
    spacy_train(CONFIGS / "source.cfg", workdir / "source",
                overrides={**data_paths(workdir), **encoder_path(workdir), **ONE_STEP})
    source = workdir / "source" / "model-last"
    assert spacy.load(source).get_pipe("clinner_ner").labels == ["DISORDER", "DRUG"]

    assert_filled(CONFIGS / "transfer.cfg", tmp_path, **{"paths.source_model": str(source)})
    spacy_train(CONFIGS / "transfer.cfg", workdir / "transfer",
                overrides={**data_paths(workdir), "paths.source_model": str(source), **ONE_STEP})
    before = spacy.load(source).get_pipe("transformer").model.transformer.state_dict()
    after = spacy.load(workdir / "transfer" / "model-last")
    weights = after.get_pipe("transformer").model.transformer.state_dict()
    # "intermediate": layers 0 and 1 of 3 frozen; the embeddings and the top layer train
    for name, value in weights.items():
        same = torch.equal(value, before[name])
        if name.startswith(("encoder.layer.0.", "encoder.layer.1.")):
            assert same, f"frozen {name} changed in transfer"
    assert not torch.equal(weights["embeddings.word_embeddings.weight"],
                           before["embeddings.word_embeddings.weight"])
    assert not torch.equal(weights["encoder.layer.2.output.dense.weight"],
                           before["encoder.layer.2.output.dense.weight"])
    assert after("El paciente tiene fiebre.") is not None
    # the saved configs state the freezing transfer.cfg's callback applied, not the source's
    applied = {"freeze_embeddings": False, "freeze_layers": "intermediate", "l2sp_alpha": 0.0}
    source_cfg = util.load_config(source / "config.cfg")["components"]["transformer"]["model"]
    assert source_cfg["freeze_layers"] == ""
    for saved in ("model-best", "model-last"):
        cfg = util.load_config(workdir / "transfer" / saved / "config.cfg")["components"]["transformer"]["model"]
        assert {key: cfg[key] for key in applied} == applied, saved
    settings = after.get_pipe("transformer").model.attrs[SETTINGS_ATTR]
    assert (settings.freeze_embeddings, settings.freeze_layers, settings.l2sp_alpha) == (False, "intermediate", 0.0)


def test_target_only_one_step(workdir):
    spacy_train(CONFIGS / "target_only.cfg", workdir / "target",
                overrides={**data_paths(workdir), **encoder_path(workdir), **ONE_STEP})
    nlp = spacy.load(workdir / "target" / "model-last")
    assert nlp.pipe_names == ["transformer", "clinner_ner"]


def test_missing_encoder_is_a_clear_error(workdir):
    with pytest.raises(ValueError, match="paths\\] encoder"):
        spacy_train(CONFIGS / "source.cfg", workdir / "nothing",
                    overrides={**data_paths(workdir), **ONE_STEP})


FEATURES = CONFIGS / "features"
# the tiny encoder has 3 layers: the configs' hidden_layers 4-7 become 0-1
FEATURE_STEP = {"training.max_steps": 2, "training.eval_frequency": 1, "training.batcher.size": 500}
TINY_LAYERS = {"components.clinner_ner.model.tok2vec.features.hidden_layers": "0-1"}


def test_feature_missing_encoder_is_a_clear_error(workdir):
    with pytest.raises(ValueError, match="paths\\] encoder"):
        spacy_train(FEATURES / "source.cfg", workdir / "fnothing", overrides={**data_paths(workdir), **FEATURE_STEP})


@pytest.mark.parametrize("name", ["source.cfg", "target_only.cfg", "dialogue_target_only.cfg"])
def test_feature_config_is_filled(name, tmp_path):
    config = util.load_config(FEATURES / name)
    assert all(config["paths"][key] is None for key in ("train", "dev", "encoder", "log"))
    assert_filled(FEATURES / name, tmp_path)


def test_baseline_config_is_spacys_cpu_default(tmp_path):
    config = util.load_config(CONFIGS / "baseline" / "spacy_cnn.cfg")
    assert config["nlp"]["pipeline"] == ["tok2vec", "ner"]
    assert config["components"]["tok2vec"]["model"]["@architectures"] == "spacy.Tok2Vec.v2"
    assert_filled(CONFIGS / "baseline" / "spacy_cnn.cfg", tmp_path)


def test_feature_source_then_transfer(workdir, tmp_path):
    """Feature-based source -> transfer sourcing it: the encoder never changes, the head does,
    and the dev curve is written where paths.log says."""
    log = workdir / "fsource" / "train_log.jsonl"
    spacy_train(FEATURES / "source.cfg", workdir / "fsource",
                overrides={**data_paths(workdir), **encoder_path(workdir), **FEATURE_STEP, **TINY_LAYERS,
                           "paths.log": str(log)})
    assert len(log.read_text().splitlines()) == 3  # steps 0, 1, 2
    source = workdir / "fsource" / "model-last"
    assert_filled(FEATURES / "transfer.cfg", tmp_path, **{"paths.source_model": str(source)})
    spacy_train(FEATURES / "transfer.cfg", workdir / "ftransfer",
                overrides={**data_paths(workdir), "paths.source_model": str(source), **FEATURE_STEP})

    def weights(path):
        model = spacy.load(path).get_pipe("clinner_ner").model
        feats = next(n for n in model.walk() if n.name == "frozen_features")
        encoder = feats.get_ref("transformer").transformer.state_dict()
        head = model.get_ref("output_layer").get_param("W").copy()
        return encoder, head

    enc_a, head_a = weights(source)
    enc_b, head_b = weights(workdir / "ftransfer" / "model-last")
    assert all(torch.equal(enc_a[k], enc_b[k]) for k in enc_a)
    assert not (head_a == head_b).all()


def test_feature_transfer_mmd(workdir, tmp_path):
    """transfer_mmd.cfg: complete, reads the translated and the target docs together, and the
    sourced clinner_ner trains with the MMD settings of its [initialize.before_init] callback,
    which the saved config states."""
    # registered by import: the installed package's entry points may predate these names
    import clinner_spacy.training.mixed_corpus  # noqa: F401
    import clinner_spacy.training.mmd_settings  # noqa: F401

    source = workdir / "fsource" / "model-last"
    if not source.exists():
        spacy_train(FEATURES / "source.cfg", workdir / "fsource",
                    overrides={**data_paths(workdir), **encoder_path(workdir), **FEATURE_STEP, **TINY_LAYERS})
    path = FEATURES / "transfer_mmd.cfg"
    config = util.load_config(path)
    assert config["paths"]["target_train"] is None
    assert config["corpora"]["train"]["@readers"] == "clinner.MixedCorpus.v1"
    assert config["initialize"]["before_init"]["weight"] == 0.02
    assert_filled(path, tmp_path, **{"paths.source_model": str(source)})
    nlp = spacy.blank("xx")
    target = nlp.make_doc(TRAIN[2][0])
    target.ents = [target.char_span(18, 24, label="DISORDER")]
    set_meta(target, corpus="toy", doc_id="t0", lang="es", annotated_labels=["DISORDER"])
    DocBin(docs=[target], store_user_data=True).to_disk(workdir / "target.spacy")
    spacy_train(path, workdir / "fmmd",
                overrides={**data_paths(workdir), "paths.target_train": str(workdir / "target.spacy"),
                           "paths.source_model": str(source), **FEATURE_STEP})
    for saved in ("model-best", "model-last"):
        cfg = util.load_config(workdir / "fmmd" / saved / "config.cfg")["components"]["clinner_ner"]
        assert cfg["mmd_weight"] == 0.02 and cfg["mmd_domain_key"] == "train_domain", saved
    assert spacy.load(workdir / "fmmd" / "model-last").get_pipe("clinner_ner").mmd.weight == 0.02


FEATURES_CRF = CONFIGS / "features_crf"


@pytest.mark.parametrize("name", ["source.cfg", "target_only.cfg", "dialogue_target_only.cfg"])
def test_crf_config_is_filled(name, tmp_path):
    config = util.load_config(FEATURES_CRF / name)
    assert config["components"]["clinner_ner"]["model"]["@architectures"] == "clinner.CRFTagger.v1"
    assert_filled(FEATURES_CRF / name, tmp_path)


@pytest.mark.parametrize("name", ["source.cfg", "target_only.cfg", "transfer.cfg",
                                  "dialogue_target_only.cfg", "dialogue_transfer.cfg"])
def test_crf_configs_differ_from_features_in_the_head_only(name):
    """configs/features_crf/X.cfg is configs/features/X.cfg with another clinner_ner.model block
    (its own settings; the tok2vec below it is the same); the transfer configs are identical."""
    crf = util.load_config(FEATURES_CRF / name, interpolate=False)
    softmax = util.load_config(FEATURES / name, interpolate=False)
    heads = []
    for config in (crf, softmax):
        model = config["components"]["clinner_ner"].get("model", {})
        heads.append({key: value for key, value in model.items() if key != "tok2vec"})
        for key in heads[-1]:
            del model[key]
    assert crf == softmax
    if "transfer" in name:
        assert heads == [{}, {}]
    else:
        assert heads == [{"@architectures": "clinner.CRFTagger.v1", "nO": None, "use_dropout": True},
                         {"@architectures": "clinner.TokenTagger.v2", "nO": None, "use_dropout": True,
                          "head_lr_scale": 1.0}]


def test_crf_feature_source_then_transfer(workdir):
    """CRF source -> transfer sourcing it: the sourced head is still a CRF and its transition
    scores keep training."""
    spacy_train(FEATURES_CRF / "source.cfg", workdir / "crfsource",
                overrides={**data_paths(workdir), **encoder_path(workdir), **FEATURE_STEP, **TINY_LAYERS})
    source = workdir / "crfsource" / "model-last"
    spacy_train(FEATURES_CRF / "transfer.cfg", workdir / "crftransfer",
                overrides={**data_paths(workdir), "paths.source_model": str(source), **FEATURE_STEP})

    def transitions(path):
        ner = spacy.load(path).get_pipe("clinner_ner")
        assert ner.is_crf
        return ner.model.get_ref("crf").get_param("transitions").copy()

    before, after = transitions(source), transitions(workdir / "crftransfer" / "model-last")
    assert before.any() and not (before == after).all()


def test_spacy_ner_feature_config_trains(workdir, tmp_path):
    """spaCy's transition-based ner on clinner.FeatureTok2Vec.v1: complete, and it trains."""
    path = CONFIGS / "features_spacy_ner" / "target_only.cfg"
    config = util.load_config(path)
    assert config["nlp"]["pipeline"] == ["ner"]
    assert config["components"]["ner"]["model"]["@architectures"] == "spacy.TransitionBasedParser.v2"
    assert config["components"]["ner"]["model"]["tok2vec"]["@architectures"] == "clinner.FeatureTok2Vec.v1"
    assert_filled(path, tmp_path)
    spacy_train(path, workdir / "spacy_ner",
                overrides={**data_paths(workdir), **encoder_path(workdir), **FEATURE_STEP,
                           "components.ner.model.tok2vec.features.hidden_layers": "0-1"})
    nlp = spacy.load(workdir / "spacy_ner" / "model-last")
    assert nlp.pipe_names == ["ner"]
    assert sorted(nlp.get_pipe("ner").labels) == ["DISORDER", "DRUG"]
    assert nlp("El paciente tiene fiebre.") is not None
