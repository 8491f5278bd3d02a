"""NLLB run options (issue 12): device and compute type, beam, the decoding length check and
length-sorted batching with duplicate removal, on the tiny random-weight model (conftest.py)."""
import logging
from types import SimpleNamespace

import pytest
import spacy
import srsly
from spacy.tokens import DocBin
from typer.testing import CliRunner

from clinner_spacy.cli.app import load_commands
from clinner_spacy.translate.base import TranslationError
from clinner_spacy.translate.cache import CachedTranslator
from clinner_spacy.translate.nllb_ct2 import NLLBTranslator
from clinner_spacy.translate.registry import get_translator
from clinner_spacy.util import set_meta

ctranslate2 = pytest.importorskip("ctranslate2")
HAS_GPU = ctranslate2.get_cuda_device_count() > 0


def _nllb(tiny_ct2, **options):
    settings = {"beam_size": 2, "max_input_length": 12, "max_decoding_length": 8, **options}
    return get_translator("nllb", model_dir=tiny_ct2, **settings)


def test_sorted_dedup_output_is_identical_to_unsorted(tiny_ct2, nllb_lines):
    lines = nllb_lines(40, seed=5)
    # duplicates, blank lines, a multi-line text and a long sentence that is split into parts
    texts = lines + lines[:15] + ["", "el dolor.\n\nla fiebre", ", ".join(lines[:6]) + "."]
    fast, plain = _nllb(tiny_ct2, sort_by_length=True), _nllb(tiny_ct2, sort_by_length=False)
    assert fast.translate(texts, "es", "en") == plain.translate(texts, "es", "en")
    assert fast.stats["parts"] == plain.stats["parts"] == plain.stats["distinct_parts"]
    assert fast.stats["distinct_parts"] < fast.stats["parts"]  # every duplicate translated once
    assert fast.cache_signature() == plain.cache_signature()  # sorting is not part of the key


def test_cut_outputs_are_counted_and_logged(tiny_ct2, caplog):
    nllb = _nllb(tiny_ct2, max_decoding_length=4)
    texts = ["el paciente presenta dolor abdominal.", "", "la fiebre"]
    with caplog.at_level(logging.WARNING, logger="clinner_spacy"):
        out = nllb.translate(texts, "es", "en")
    # random weights never say </s> in 4 steps: both non-empty texts were cut
    assert out[1] == "" and nllb.last_truncated == [0, 2]
    assert nllb.stats["truncated"] == 2 and nllb.stats["truncated_parts"] == 2
    assert "2 of 3 translations reached max_decoding_length=4" in caplog.text


class _EndingTranslator:
    """Stands in for ctranslate2.Translator: ends every output with </s> after one token."""

    def translate_batch(self, sources, target_prefix, **kwargs):
        assert kwargs["return_end_token"] is True
        return [SimpleNamespace(hypotheses=[[p[0], "▁ok", "</s>"]]) for p in target_prefix]


def test_outputs_ending_in_end_token_are_not_cut(tiny_ct2):
    nllb = _nllb(tiny_ct2)
    nllb._load()
    nllb._translator = _EndingTranslator()
    out = nllb.translate(["el dolor", "la fiebre"], "es", "en")
    assert len(out) == 2 and out[0] == out[1] and out[0].strip()
    assert nllb.last_truncated == [] and nllb.stats["truncated"] == 0
    assert nllb.translate_pieces([["spa_Latn", "▁a", "</s>"]], "eng_Latn") == [["eng_Latn", "▁ok"]]


def test_cut_translations_are_never_cached(tiny_ct2, tmp_path):
    texts = ["el paciente presenta dolor.", "la fiebre"]
    with CachedTranslator(_nllb(tiny_ct2, max_decoding_length=4), tmp_path / "c.sqlite", progress=False) as cached:
        first = cached.translate(texts, "es", "en")
        assert cached.truncated == 2 and len(cached.cache) == 0
        assert "2 translations cut at the decoding length limit" in cached.describe()
        # a rerun translates them again, and reports them again
        assert cached.translate(texts, "es", "en") == first and cached.truncated == 4 and cached.hits == 0


def test_device_and_compute_type(tiny_ct2):
    with pytest.raises(ValueError, match="device must be one of cpu, cuda, auto"):
        _nllb(tiny_ct2, device="gpu")
    with pytest.raises(ValueError, match="beam_size"):
        _nllb(tiny_ct2, beam_size=0)
    cpu = _nllb(tiny_ct2, device="cpu").cache_signature()
    assert (cpu["device"], cpu["compute_type"]) == ("cpu", "int8")  # the v1 signature: caches stay valid
    auto = _nllb(tiny_ct2, device="auto").cache_signature()
    assert (auto["device"], auto["compute_type"]) == (("cuda", "int8_float16") if HAS_GPU else ("cpu", "int8"))
    assert _nllb(tiny_ct2, compute_type="float32").cache_signature()["compute_type"] == "float32"
    if not HAS_GPU:
        with pytest.raises(TranslationError, match="sees no CUDA device"):
            _nllb(tiny_ct2, device="cuda").translate(["el dolor"], "es", "en")


def test_v2_from_config_and_v1_still_loads(tiny_ct2):
    v2 = spacy.registry.resolve({"x": {
        "@misc": "clinner.NLLBTranslator.v2", "model_dir": str(tiny_ct2), "device": "cpu", "beam_size": 1,
        "max_input_length": 12, "max_decoding_length": 6, "sort_by_length": False, "repetition_penalty": 1.2,
    }})["x"]
    assert isinstance(v2, NLLBTranslator) and not v2.sort_by_length and v2.decoding["repetition_penalty"] == 1.2
    v1 = spacy.registry.resolve({"x": {"@misc": "clinner.NLLBTranslator.v1", "model_dir": str(tiny_ct2)}})["x"]
    assert v1.device == "cpu" and v1.compute_type == "int8" and v1.sort_by_length


def _es_docbin(path):
    nlp = spacy.blank("es")
    docs = []
    for i in range(2):
        doc = nlp(f"Dolor en la mano {i}. Fiebre alta.")
        doc.ents = [doc.char_span(0, 5, label="DISORDER")]
        docs.append(set_meta(doc, doc_id=f"doc{i}", lang="es", corpus="test", split="train"))
    DocBin(docs=docs, store_user_data=True).to_disk(path)
    return path


def test_translate_cli_reports_cut_translations(tiny_ct2, tmp_path):
    source = _es_docbin(tmp_path / "in.spacy")
    out = tmp_path / "out.spacy"
    args = ["translate", str(source), str(out), "--src", "es", "--translator", "nllb", "--model-dir", str(tiny_ct2),
            "--device", "cpu", "--beam-size", "1", "--max-decoding-length", "4", "--cache", str(tmp_path / "c.sqlite"),
            "--max-translation-loss", "1.0"]
    result = CliRunner().invoke(load_commands(), args)
    assert result.exit_code == 0, result.output
    report = srsly.read_json(tmp_path / "out.report.json")
    assert report["truncated_translations"] > 0 and report["translator"]["beam_size"] == "1"
    assert "were cut at --max-decoding-length" in result.output
    assert "were cut at the translator's decoding length limit" in (tmp_path / "out.report.md").read_text()


def test_nllb_options_are_refused_for_other_translators(tmp_path):
    source = _es_docbin(tmp_path / "in.spacy")
    result = CliRunner().invoke(load_commands(), ["translate", str(source), str(tmp_path / "o.spacy"), "--src", "es",
                                                  "--translator", "identity", "--beam-size", "2"])
    assert result.exit_code == 1 and "--beam-size apply to the nllb translator" in " ".join(result.output.split())
    result = CliRunner().invoke(load_commands(), ["translate", str(source), str(tmp_path / "o.spacy"), "--src", "es",
                                                  "--translator", "nllb", "--model-dir", str(tmp_path), "--device", "tpu"])
    assert result.exit_code == 1 and "--device must be one of" in result.output
