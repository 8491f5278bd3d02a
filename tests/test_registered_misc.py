"""Every spacy_misc name this package declares is resolved from a config block and called.

A config is what reaches these functions in practice (project.yml, training configs), so
each is resolved through spacy.registry.resolve with its arguments as config values, and
the object it returns is used once. A newly declared name without a case here fails
test_every_declared_misc_name_has_a_case.
"""
import shutil
import sys
from importlib.metadata import entry_points

import pytest
import spacy
from spacy.tokens import DocBin

from clinner_spacy.translate.base import Translator
from clinner_spacy.util import set_meta

HAS_APERTIUM = shutil.which("apertium") is not None


def _declared_misc():
    group = entry_points(group="spacy_misc") if sys.version_info >= (3, 10) else entry_points().get("spacy_misc", [])
    return sorted(ep.name for ep in group if ep.value.startswith("clinner_spacy"))


def _resolve(block):
    return spacy.registry.resolve({"x": block})["x"]


def _translates(translator, texts, src="es", tgt="en"):
    assert isinstance(translator, Translator)
    out = translator.translate(texts, src, tgt)
    assert len(out) == len(texts) and all(isinstance(t, str) for t in out)
    signature = translator.cache_signature()
    assert signature and all(isinstance(v, str) for v in signature.values())
    return out


def test_identity_translator():
    default = _resolve({"@misc": "clinner.IdentityTranslator.v1"})
    named = _resolve({"@misc": "clinner.IdentityTranslator.v1", "name": "dry-run"})
    assert _translates(default, ["dolor", ""]) == ["dolor", ""]
    assert default.name == "identity" and named.name == "dry-run"
    assert named.cache_signature()["backend"] == "dry-run"


@pytest.mark.apertium
@pytest.mark.skipif(not HAS_APERTIUM, reason="apertium is not installed")
def test_apertium_translator():
    translator = _resolve({"@misc": "clinner.ApertiumTranslator.v1", "batch_size": 2})
    assert translator.batch_size == 2
    out = _translates(translator, ["dolor de cabeza", "", "fiebre"])
    assert out[1] == "" and all(out[i].strip() for i in (0, 2))


def test_nllb_translator(tiny_ct2):
    translator = _resolve({
        "@misc": "clinner.NLLBTranslator.v1", "model_dir": str(tiny_ct2), "beam_size": 1,
        "max_input_length": 12, "max_decoding_length": 8,
    })
    assert translator.beam_size == 1 and translator.max_input_length == 12
    out = _translates(translator, ["el paciente presenta dolor.", ""])
    assert out[1] == ""


def test_nllb_translator_v2(tiny_ct2):
    translator = _resolve({
        "@misc": "clinner.NLLBTranslator.v2", "model_dir": str(tiny_ct2), "device": "cpu", "beam_size": 1,
        "max_input_length": 12, "max_decoding_length": 8, "sort_by_length": True,
    })
    assert translator.sort_by_length and translator.compute_type == "auto"
    out = _translates(translator, ["el paciente presenta dolor.", "", "el paciente presenta dolor."])
    assert out[1] == "" and out[0] == out[2]


def test_cached_translator(tmp_path):
    translator = _resolve({
        "@misc": "clinner.CachedTranslator.v1", "cache_path": str(tmp_path / "cache.sqlite"), "chunk_size": 1,
        "translator": {"@misc": "clinner.IdentityTranslator.v1"},
    })
    try:
        assert _translates(translator, ["a", "b", "a"]) == ["a", "b", "a"]
        assert translator.stats["misses"] == 2
    finally:
        translator.close()


def test_project_docbin(tmp_path):
    nlp = spacy.blank("es")
    doc = nlp("El paciente tiene fiebre.")
    doc.ents = [doc.char_span(18, 24, label="DISORDER")]
    doc[0].is_sent_start = True
    set_meta(doc, corpus="toy", doc_id="d0", lang="es", annotated_labels=["DISORDER"])
    DocBin(docs=[doc], store_user_data=True).to_disk(tmp_path / "in.spacy")
    project = _resolve({
        "@misc": "clinner.project_docbin.v1", "src_lang": "es", "batch_size": 4,
        "translator": {"@misc": "clinner.IdentityTranslator.v1"},
    })
    report = project(tmp_path / "in.spacy", tmp_path / "out.spacy", show_progress=False)
    assert report.docs == 1 and report.entities == 1 and report.placed == 1
    (out,) = DocBin().from_disk(tmp_path / "out.spacy").get_docs(spacy.blank("en").vocab)
    assert [(e.text, e.label_) for e in out.ents] == [("fiebre", "DISORDER")]


def test_sim_aligner(tmp_path):
    from clinner_spacy.models.tiny import make_tiny_encoder

    encoder = make_tiny_encoder(tmp_path / "enc", layers=2)
    aligner = _resolve({"@misc": "clinner.SimAligner.v1", "encoder": str(encoder), "layer": 1, "batch_size": 1})
    assert aligner.layer == 1 and aligner.batch_size == 1
    (pairs,) = aligner.align([(["dolor"], ["pain"])])
    assert pairs == [(0, 0)]


def test_lexical_aligner():
    aligner = _resolve({"@misc": "clinner.LexicalAligner.v1"})
    assert aligner.align([(["el", "dolor"], ["el", "dolor"])]) == [[(0, 0), (1, 1)]]


CASES = {
    "clinner.IdentityTranslator.v1": test_identity_translator,
    "clinner.ApertiumTranslator.v1": test_apertium_translator,
    "clinner.NLLBTranslator.v1": test_nllb_translator,
    "clinner.NLLBTranslator.v2": test_nllb_translator_v2,
    "clinner.CachedTranslator.v1": test_cached_translator,
    "clinner.project_docbin.v1": test_project_docbin,
    "clinner.SimAligner.v1": test_sim_aligner,
    "clinner.LexicalAligner.v1": test_lexical_aligner,
}


def test_every_declared_misc_name_has_a_case():
    declared = _declared_misc()
    assert declared, "no spacy_misc entry points (is the package installed?)"
    assert sorted(CASES) == declared
