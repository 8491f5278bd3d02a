"""ApertiumTranslator: alignment on awkward input, marks, pivoting, and its errors."""
import shutil

import pytest

from clinner_spacy.translate import apertium as apertium_module
from clinner_spacy.translate.apertium import ApertiumTranslator
from clinner_spacy.translate.base import TranslationError, Translator, UnsupportedLanguagePair

HAS_APERTIUM = shutil.which("apertium") is not None
needs_apertium = pytest.mark.skipif(not HAS_APERTIUM, reason="apertium is not installed")

AWKWARD = [
    "El paciente presenta dolor abdominal.",
    "",
    "   ",
    "a",  # with the next line, "a través de" is a multiword: it must not cross lines
    "través de la piel",
    "Tiene dolor",
    "abdominal intenso.",  # adjective-noun reordering must not cross lines either
    "Línea uno\nlínea dos\n\n  línea cuatro con espacios  ",
    "[casa] {perro} <b>gato</b> ^a/b$ \\n \\ & 5*3",
    "x\0y casa",
    "tab\taquí\r",
    "forma\x0cfeed \u2028 sep",
    ".",
    "¿?",
    "VIH positivo",
    "dolor " * 3000 + "fin.",
]


@pytest.fixture(scope="module")
def apertium():
    return ApertiumTranslator()


@needs_apertium
@pytest.mark.apertium
def test_alignment_on_awkward_input(apertium):
    assert isinstance(apertium, Translator)
    out = apertium.translate(AWKWARD, "es", "en")
    assert len(out) == len(AWKWARD)
    assert out[0] == "The patient presents abdominal ache."
    assert out[1] == "" and out[2] == "   "
    for src, tgt in zip(AWKWARD, out):
        assert tgt.count("\n") == src.count("\n"), (src[:40], tgt[:40])
    assert out[7].split("\n")[2] == "" and out[7].split("\n")[3].startswith("  ")
    assert out[7].endswith("  ")
    assert out[-1].endswith("end.") and len(out[-1].split()) > 2000


@needs_apertium
@pytest.mark.apertium
def test_batch_equals_one_by_one(apertium):
    """Isolation: a segment's translation does not depend on its neighbours."""
    texts = [t for t in AWKWARD if t.strip()][:-1]
    together = apertium.translate(texts, "es", "en")
    # other neighbours (reversed order), and no neighbours at all, give the same output
    assert apertium.translate(texts[::-1], "es", "en") == together[::-1]
    assert [apertium.translate([t], "es", "en")[0] for t in texts[1:5]] == together[1:5]
    # the cross-line multiword of plain txt mode does not happen
    assert together[1] == "to" and together[2].lower() == "través of the skin"


@needs_apertium
@pytest.mark.apertium
def test_unknown_marks(apertium):
    text = ["Se realizó una penectomía total."]
    assert "*" not in apertium.translate(text, "es", "en")[0]
    kept = ApertiumTranslator(keep_unknown_marks=True).translate(text, "es", "en")[0]
    assert "*pen" in kept
    # a mark character that the source really has is left alone
    assert "*" in apertium.translate(["5 *d casa"], "es", "en")[0]


@needs_apertium
@pytest.mark.apertium
def test_initial_case(apertium):
    assert apertium.translate(["dolor abdominal"], "es", "en") == ["abdominal ache"]
    assert ApertiumTranslator(match_initial_case=False).translate(["dolor abdominal"], "es", "en") == ["Abdominal ache"]
    assert apertium.translate(["VIH positivo"], "es", "en")[0][0].isupper()


@needs_apertium
@pytest.mark.apertium
def test_french_pivots_through_spanish(apertium, caplog):
    with caplog.at_level("INFO", logger="clinner_spacy"):
        out = apertium.translate(["Le patient a une douleur abdominale.", ""], "fr", "en")
    assert len(out) == 2 and out[0].startswith("The patient") and out[1] == ""
    assert apertium.route("fr", "en") == ("fr-es", "spa-eng")
    assert "fr-es | spa-eng" in caplog.text
    assert "fr-en:fr-es|spa-eng" in apertium.cache_signature()["routes"]


@needs_apertium
@pytest.mark.apertium
def test_english_to_spanish(apertium):
    assert apertium.translate(["The patient has abdominal pain."], "en", "es") == ["El paciente tiene dolor abdominal."]


@needs_apertium
@pytest.mark.apertium
def test_unsupported_pair(apertium):
    with pytest.raises(UnsupportedLanguagePair, match="de->en"):
        apertium.translate(["Hallo"], "de", "en")


@needs_apertium
@pytest.mark.apertium
def test_misaligned_output_is_bisected(apertium, monkeypatch):
    """If apertium ever merged or split paragraphs, the batch is retried in halves."""
    real = ApertiumTranslator._run
    state = {"broken": 0}

    def flaky(self, args, data):
        out = real(self, args, data)
        if data.count(b"\n\n") >= 3 and state["broken"] < 1:
            state["broken"] += 1
            return out.replace(b"\n\n", b" ", 1)
        return out

    monkeypatch.setattr(ApertiumTranslator, "_run", flaky)
    texts = ["uno", "dos", "tres", "cuatro", "cinco"]
    assert apertium.translate(texts, "es", "en") == ["one", "two", "three", "four", "five"]
    assert state["broken"] == 1


def test_missing_binary_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(TranslationError, match="apt-get install apertium apertium-eng-spa apertium-fr-es"):
        ApertiumTranslator()


def test_missing_language_pair(monkeypatch, tmp_path):
    fake = tmp_path / "apertium"
    fake.write_text("#!/bin/sh\n[ \"$1\" = -l ] && echo '  eng-spa'\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    translator = ApertiumTranslator()
    with pytest.raises(TranslationError, match="spa-eng is not installed") as err:
        translator.translate(["hola"], "es", "en")
    assert apertium_module.INSTALL_HINT in str(err.value)


@needs_apertium
@pytest.mark.apertium
@pytest.mark.data
def test_real_clinical_text_is_order_independent(apertium, shared_data):
    folder = shared_data / "spaccc" / "medprocner" / "dataset" / "medprocner_train" / "txt"
    lines = [
        line for path in sorted(folder.glob("*.txt"))[:4] for line in path.read_text(encoding="utf8").split(". ")
    ]
    out = apertium.translate(lines, "es", "en")
    assert len(out) == len(lines)
    assert all(bool(a.strip()) == bool(b.strip()) for a, b in zip(lines, out))
    assert apertium.translate(lines[::-1], "es", "en") == out[::-1]
