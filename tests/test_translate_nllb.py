"""The CTranslate2 path end to end on a tiny random-weight NLLB (conftest.py: sentencepiece
training, Hugging Face checkpoint, `clinner convert-nllb`), then translation."""
import json

import pytest
from typer.testing import CliRunner

from clinner_spacy.cli.app import load_commands
from clinner_spacy.translate.base import TranslationError, Translator, UnsupportedLanguagePair
from clinner_spacy.translate.convert import transformers_accepts_dtype
from clinner_spacy.translate.nllb_ct2 import NLLBTranslator
from clinner_spacy.translate.registry import get_translator


def test_convert_writes_model_and_tokenizer(tiny_ct2):
    names = {p.name for p in tiny_ct2.iterdir()}
    assert {"model.bin", "shared_vocabulary.json", "sentencepiece.bpe.model", "clinner_conversion.json"} <= names
    vocab = json.loads((tiny_ct2 / "shared_vocabulary.json").read_text())
    # the language tokens are single vocabulary entries, as in NLLB
    assert all(vocab.count(code) == 1 for code in ("eng_Latn", "spa_Latn", "fra_Latn"))
    assert json.loads((tiny_ct2 / "clinner_conversion.json").read_text())["quantization"] == "int8"


def test_convert_refuses_existing_dir_without_force(tiny_hf, tiny_ct2):
    runner = CliRunner()
    result = runner.invoke(load_commands(), ["convert-nllb", str(tiny_hf), str(tiny_ct2)])
    assert result.exit_code == 1
    assert "--force" in result.output


def test_convert_missing_checkpoint(tmp_path):
    result = CliRunner().invoke(load_commands(), ["convert-nllb", str(tmp_path / "nope"), str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "config.json" in result.output


@pytest.mark.skipif(transformers_accepts_dtype(), reason="the trap exists only with transformers < 4.56")
def test_stock_converter_trips_on_dtype(tiny_hf, tmp_path):
    """The reason for convert._CompatConverter: the unpatched converter fails here."""
    from ctranslate2.converters import TransformersConverter

    with pytest.raises(TypeError, match="dtype"):
        TransformersConverter(str(tiny_hf)).convert(str(tmp_path / "out"), quantization="int8")


@pytest.fixture()
def nllb(tiny_ct2):
    return get_translator("nllb", model_dir=tiny_ct2, beam_size=2, max_input_length=12, max_decoding_length=8)


def test_one_line_per_input_and_deterministic(nllb):
    assert isinstance(nllb, Translator)
    texts = ["el paciente presenta dolor.", "", "   ", "fièvre", "la fiebre\n\ncon dolor"]
    out = nllb.translate(texts, "es", "en")
    assert len(out) == len(texts)
    assert out[1] == "" and out[2] == "   "
    assert out[0].strip() and "\n" not in out[0]
    assert out[4].split("\n")[1] == "" and len(out[4].split("\n")) == 3
    assert nllb.translate(texts, "es", "en") == out
    assert nllb.translate(texts[::-1], "es", "en") == out[::-1]  # batching does not matter


def test_long_sentence_is_split_not_truncated(nllb, nllb_lines, monkeypatch):
    long = ", ".join(nllb_lines(12, seed=3)) + "."
    calls = []
    real = NLLBTranslator.translate_pieces

    def spy(self, sources, tgt_token, **options):
        calls.append(sources)
        return real(self, sources, tgt_token, **options)

    monkeypatch.setattr(NLLBTranslator, "translate_pieces", spy)
    out = nllb.translate([long, "el dolor."], "es", "en")
    sources = calls[0]
    assert len(sources) > 3  # the long sentence became several parts
    assert all(len(s) <= 12 and s[0] == "spa_Latn" and s[-1] == "</s>" for s in sources)
    # every input piece is translated: the parts concatenate back to the whole sentence
    _, sp = nllb._load()
    pieces = [p for s in sources[:-1] for p in s[1:-1]]
    assert pieces == sp.encode(long, out_type=str)
    assert len(out) == 2 and "\n" not in out[0]


def test_french_and_flores_codes(nllb):
    assert nllb.lang_token("fr") == "fra_Latn"
    assert nllb.lang_token("spa_Latn") == "spa_Latn"
    assert len(nllb.translate(["une douleur"], "fr", "en")) == 1


def test_unsupported_language(nllb):
    with pytest.raises(UnsupportedLanguagePair):
        nllb.translate(["hola"], "zz", "en")


def test_missing_model_dir_says_how_to_make_one(tmp_path):
    with pytest.raises(TranslationError, match="clinner convert-nllb"):
        get_translator("nllb", model_dir=tmp_path / "missing")


def test_signature_changes_with_options(tiny_ct2):
    a = get_translator("nllb", model_dir=tiny_ct2, beam_size=1).cache_signature()
    b = get_translator("nllb", model_dir=tiny_ct2, beam_size=4).cache_signature()
    assert a != b and a["model"] == b["model"]
