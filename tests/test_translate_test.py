"""Translate-test (clinner_spacy/translate_test): alignment, span mapping, the component, the CLI."""
import shutil

import numpy
import pytest
import spacy
import srsly
from typer.testing import CliRunner

from clinner_spacy.cli.app import load_commands
from clinner_spacy.docbins import read_docs, write_docs
from clinner_spacy.evaluation.evaluate import evaluate_files
from clinner_spacy.translate.identity import IdentityTranslator
from clinner_spacy.translate_test.align import EncoderAligner, LexicalAligner, argmax_intersection
from clinner_spacy.translate_test.component import TranslateTest
from clinner_spacy.translate_test.mapping import map_span, map_spans, resolve_overlaps
from clinner_spacy.translate_test.run import translate_test_files
from clinner_spacy.translate_test.sentences import sentence_ranges
from clinner_spacy.util import get_meta, set_meta

HAS_APERTIUM = shutil.which("apertium") is not None

# -- alignment ---------------------------------------------------------------------------


def test_argmax_intersection_keeps_mutual_best_pairs():
    sim = numpy.array([
        [0.9, 0.1, 0.0],  # 0 <-> 0: mutual
        [0.2, 0.3, 0.8],  # 1 -> 2, and 2's best is 1: mutual
        [0.1, 0.2, 0.7],  # 2 -> 2, but 2 prefers 1: not kept
        [0.0, 0.6, 0.1],  # 3 -> 1, 1's best is 3: mutual
    ])
    assert argmax_intersection(sim) == [(0, 0), (1, 2), (3, 1)]
    assert argmax_intersection(sim, min_similarity=0.7) == [(0, 0), (1, 2)]
    assert argmax_intersection(numpy.zeros((0, 3))) == []


def test_argmax_intersection_never_aligns_a_word_without_vector():
    sim = numpy.array([[-numpy.inf, -numpy.inf], [0.1, 0.5]])
    assert argmax_intersection(sim) == [(1, 1)]


def test_lexical_aligner_identity_and_repeats():
    words = "el dolor y el tumor .".split()
    (pairs,) = LexicalAligner().align([(words, words)])
    assert pairs == [(i, i) for i in range(len(words))]
    (pairs,) = LexicalAligner().align([("la fiebre alta".split(), "high fever".split())])
    assert pairs == []


def test_encoder_aligner_with_tiny_encoder(tmp_path):
    from clinner_spacy.models.tiny import make_tiny_encoder

    path = make_tiny_encoder(tmp_path / "enc", layers=2)
    aligner = EncoderAligner(path, layer=1, batch_size=2)
    sentences = [("el paciente tiene fiebre".split(), "the patient has fever".split()),
                 ([], ["x"]), ("dolor".split(), "pain".split())]
    out = aligner.align(sentences)
    assert len(out) == 3 and out[1] == []
    for (src, tgt), pairs in zip(sentences, out):
        assert all(0 <= i < len(src) and 0 <= j < len(tgt) for i, j in pairs)
        assert len({i for i, _ in pairs}) == len(pairs) == len({j for _, j in pairs})  # one-to-one
    assert out[2] == [(0, 0)]  # a one-word pair is always mutual
    assert aligner.signature()["layer"] == "1"
    with pytest.raises(ValueError, match="only 2 layers"):
        EncoderAligner(path, layer=5).align(sentences)
    with pytest.raises(FileNotFoundError, match="no config.json"):
        EncoderAligner(tmp_path / "missing").align(sentences)


# -- span mapping ------------------------------------------------------------------------


def test_map_span_contiguous_and_reordered():
    # "the malignant tumor" <- "el tumor maligno": the=0 malignant=1 tumor=2 / el=0 tumor=1 maligno=2
    en2orig = {0: [0], 1: [2], 2: [1]}
    assert map_span(1, 3, en2orig) == (1, 3)  # "malignant tumor" -> "tumor maligno"
    assert map_span(1, 2, en2orig) == (2, 3)
    # a skipped word inside the phrase is covered: "pain" aligned to 0, "chest" to 2
    assert map_span(0, 2, {0: [2], 1: [0]}) == (0, 3)


def test_map_spans_counts_unaligned_and_overlaps():
    pairs = [(0, 0), (1, 1), (2, 2), (3, 3), (3, 4)]  # 5 English tokens, the last two on word 3
    spans = [(0, 2, "DISORDER"), (1, 3, "ANATOMY"), (3, 4, "DISORDER"), (4, 5, "DISORDER"), (5, 6, "ANATOMY")]
    # English 5 is not aligned: dropped
    out = map_spans(spans, pairs)
    assert out.unaligned == [(5, 6, "ANATOMY")]
    # (0,2) and (1,3) overlap, equal length: the earlier one is kept; (3,4) twice is one span
    assert out.spans == [(0, 2, "DISORDER"), (3, 4, "DISORDER")]
    assert out.overlapping == [(1, 3, "ANATOMY")]
    assert out.counts() == {"kept": 2, "unaligned": 1, "overlap_dropped": 1}


def test_resolve_overlaps_longest_first():
    kept, dropped = resolve_overlaps([(0, 1, "A"), (0, 3, "B"), (2, 4, "C"), (5, 6, "D")])
    assert kept == [(0, 3, "B"), (5, 6, "D")] and sorted(dropped) == [(0, 1, "A"), (2, 4, "C")]


# -- end to end with a tiny English pipeline ---------------------------------------------

TEXTS = [
    "El paciente tiene fiebre y dolor de cabeza. Se realiza una biopsia del hígado.",
    "Sin fiebre.  Dolor abdominal en el brazo izquierdo.",
    "No hay hallazgos.",
]
GOLD = [
    [("fiebre", "DISORDER"), ("dolor de cabeza", "DISORDER"), ("hígado", "ANATOMY")],
    [("fiebre", "DISORDER"), ("Dolor abdominal", "DISORDER"), ("brazo izquierdo", "ANATOMY")],
    [],
]
# the "English" pipeline tags Spanish words: with identity translation it runs on the originals
PATTERNS = [
    {"label": "DISORDER", "pattern": "fiebre"},
    {"label": "DISORDER", "pattern": "dolor de cabeza"},
    {"label": "DISORDER", "pattern": "Dolor"},
    {"label": "ANATOMY", "pattern": "hígado"},
    {"label": "ANATOMY", "pattern": "brazo"},
    {"label": "DISORDER", "pattern": "diabetes"},
]


@pytest.fixture
def english_model(tmp_path):
    nlp = spacy.blank("xx")
    nlp.add_pipe("entity_ruler").add_patterns(PATTERNS)
    nlp.to_disk(tmp_path / "english")
    return tmp_path / "english"


@pytest.fixture
def gold_path(tmp_path):
    nlp = spacy.blank("es")
    docs = []
    for i, (text, ents) in enumerate(zip(TEXTS, GOLD)):
        doc = nlp(text)
        spans, start = [], 0
        for ent_text, label in ents:
            begin = text.index(ent_text, start)
            spans.append(doc.char_span(begin, begin + len(ent_text), label=label))
            start = begin + len(ent_text)
        doc.set_ents(spans, default="outside")
        for token in doc:
            token.is_sent_start = token.i == 0 or doc[token.i - 1].text == "."
        set_meta(doc, corpus="toy", doc_id=f"d{i}", lang="es", annotated_labels=["DISORDER", "ANATOMY"])
        docs.append(doc)
    write_docs(docs, tmp_path / "gold.spacy")
    return tmp_path / "gold.spacy"


def test_sentence_ranges_with_and_without_boundaries(gold_path):
    doc = read_docs(gold_path)[1]
    assert [doc[s:e].text.strip() for s, e in sentence_ranges(doc)] == ["Sin fiebre.", "Dolor abdominal en el brazo izquierdo."]
    plain = spacy.blank("es")(TEXTS[0])
    assert len(sentence_ranges(plain)) == 2 and sentence_ranges(spacy.blank("es")("")) == []


def test_identity_translate_test_reproduces_direct_predictions(english_model, gold_path):
    direct = evaluate_files(gold=gold_path, model=english_model, n_bootstrap=0, progress=False)
    metrics, preds = translate_test_files(
        model=english_model, gold=gold_path, src_lang="es", translator=IdentityTranslator(),
        aligner=LexicalAligner(), n_bootstrap=0, batch_size=2, progress=False,
    )
    english = spacy.load(english_model)
    for doc, pred in zip(read_docs(gold_path), preds):
        expected = [(e.start_char, e.end_char, e.label_) for e in english(doc.text).ents]
        assert [(e.start_char, e.end_char, e.label_) for e in pred.ents] == expected
    assert metrics["strict"] == direct["strict"] and metrics["lenient"] == direct["lenient"]
    assert metrics["run"]["arm"] == "translate_test" and metrics["run"]["lang"] == "es"
    assert metrics["doc_counts"]["doc_ids"] == ["d0", "d1", "d2"]
    counts = metrics["translate_test"]["counts"]
    assert counts["docs"] == 3 and counts["unaligned"] == 0 and counts["overlap_dropped"] == 0
    assert counts["kept"] == counts["english_entities"] == 6
    assert get_meta(preds[0], "doc_id") == "d0" and get_meta(preds[0], "translate_test")["sentences"] == 2
    # the gold sentence boundaries are carried onto the retokenised texts (not the Sentencizer's)
    gold_starts = [[s.start_char for s in doc.sents] for doc in read_docs(gold_path)]
    assert [[s.start_char for s in pred.sents] for pred in preds] == gold_starts


def test_component_in_a_pipeline_and_round_trip(english_model, tmp_path):
    nlp = spacy.blank("es")
    nlp.add_pipe("clinner_translate_test", config={
        "model": str(english_model), "src_lang": "es",
        "translator": {"@misc": "clinner.IdentityTranslator.v1"},
        "aligner": {"@misc": "clinner.LexicalAligner.v1"},
    })
    with pytest.raises(FileNotFoundError, match="English pipeline"):
        spacy.blank("es").add_pipe("clinner_translate_test", config={
            "model": str(tmp_path / "nope"), "src_lang": "es",
            "translator": {"@misc": "clinner.IdentityTranslator.v1"},
            "aligner": {"@misc": "clinner.LexicalAligner.v1"},
        })("fiebre")
    nlp.initialize()
    texts = TEXTS + [""]
    first = [[(e.text, e.label_) for e in doc.ents] for doc in nlp.pipe(texts)]
    assert first[0] == [("fiebre", "DISORDER"), ("dolor de cabeza", "DISORDER"), ("hígado", "ANATOMY")]
    assert first[-1] == [] and [(e.text, e.label_) for e in nlp(texts[1]).ents] == first[1]
    nlp.to_disk(tmp_path / "pipeline")
    shutil.rmtree(english_model)  # the saved pipeline carries the English one
    loaded = spacy.load(tmp_path / "pipeline")
    assert [[(e.text, e.label_) for e in doc.ents] for doc in loaded.pipe(texts)] == first


@pytest.mark.apertium
@pytest.mark.skipif(not HAS_APERTIUM, reason="apertium is not installed")
def test_apertium_one_sentence(english_model):
    from clinner_spacy.translate.apertium import ApertiumTranslator

    component = TranslateTest(model=str(english_model), src_lang="es", translator=ApertiumTranslator(),
                              aligner=LexicalAligner())
    doc = component(spacy.blank("es")("El paciente tiene diabetes y fiebre."))
    # "diabetes" is the same word in English and is aligned; "fiebre" became "fever", which
    # the toy English pipeline does not tag
    assert [(e.text, e.label_) for e in doc.ents] == [("diabetes", "DISORDER")]
    stats = get_meta(doc, "translate_test")
    assert stats["sentences"] == 1 and stats["kept"] == 1 and stats["tokens_aligned"] >= 1


# -- the CLI -------------------------------------------------------------------------------


def _cli(*args):
    return CliRunner().invoke(load_commands(), ["translate-test", *map(str, args)])


def test_cli_writes_metrics_like_evaluate(english_model, gold_path, tmp_path):
    out = tmp_path / "metrics" / "es" / "translate_test_s1.json"
    args = ["--model", english_model, "--gold", gold_path, "--src", "es", "--translator", "identity",
            "--aligner", "lexical", "--no-cache", "--bootstrap", "10", "--output", out]
    result = _cli(*args, "--pred-output", tmp_path / "pred.spacy")
    assert result.exit_code == 0, result.output
    data = srsly.read_json(out)
    assert data["run"]["arm"] == "translate_test" and data["bootstrap"]["n_resamples"] == 10
    assert {"strict", "lenient", "doc_counts", "n_docs", "translate_test"} <= set(data)
    assert len(read_docs(tmp_path / "pred.spacy")) == 3
    from clinner_spacy.reporting.collect import read_record

    record = read_record(out)
    assert record.arm == "translate_test" and record.lang == "es" and record.f == data["strict"]["micro"]["f"]
    again = _cli(*args)
    assert again.exit_code == 1 and "--force" in again.output
    assert _cli(*args, "--force").exit_code == 0


def test_cli_errors_name_the_input(english_model, gold_path, tmp_path):
    base = ["--src", "es", "--translator", "identity", "--aligner", "lexical", "--no-cache",
            "--output", tmp_path / "m.json"]
    missing_model = _cli("--model", tmp_path / "no-model", "--gold", gold_path, *base)
    assert missing_model.exit_code == 1 and "no-model" in missing_model.output
    missing_gold = _cli("--model", english_model, "--gold", tmp_path / "no-gold.spacy", *base)
    assert missing_gold.exit_code == 1 and "no-gold.spacy" in missing_gold.output
    bad_encoder = _cli("--model", english_model, "--gold", gold_path, *base[:4], "--no-cache",
                       "--output", tmp_path / "m.json", "--encoder", tmp_path / "no-encoder")
    assert bad_encoder.exit_code == 1 and "no-encoder" in bad_encoder.output
    assert not (tmp_path / "m.json").exists()
