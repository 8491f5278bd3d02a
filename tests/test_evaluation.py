"""Span-level evaluation: strict/lenient P/R/F1, macro/weighted, bootstrap, spaCy agreement, CLI."""
import json
import random

import pytest
import spacy
from spacy import registry
from spacy.scorer import get_ner_prf
from spacy.tokens import Doc, DocBin, Span
from spacy.training import Example
from typer.testing import CliRunner

from clinner_spacy.evaluation.bootstrap import bootstrap_micro_f
from clinner_spacy.evaluation.evaluate import evaluate_docs, evaluate_files
from clinner_spacy.evaluation.report import to_markdown
from clinner_spacy.evaluation.scorer import score_examples
from clinner_spacy.evaluation.scoring import lenient_counts, score_spans
from clinner_spacy.evaluation.spans import DocSpans, NOT_ANNOTATED, doc_spans
from clinner_spacy.util import set_meta

NLP = spacy.blank("en")
WORDS = "the patient had chest pain and fever after taking aspirin for the knee injury".split()


def _doc(ents, words=WORDS, **meta):
    doc = Doc(NLP.vocab, words=words)
    doc.ents = [Span(doc, s, e, label) for s, e, label in ents]
    return set_meta(doc, **meta) if meta else doc


def test_hand_computed_strict_and_lenient():
    # gold: chest pain (3-5) DISORDER, fever (6) DISORDER, aspirin (9) DRUG, knee (12) ANATOMY
    gold = _doc([(3, 5, "DISORDER"), (6, 7, "DISORDER"), (9, 10, "DRUG"), (12, 13, "ANATOMY")])
    # pred: pain (4) DISORDER (overlap only), fever exact, aspirin as DISORDER (wrong label), knee injury ANATOMY
    pred = _doc([(4, 5, "DISORDER"), (6, 7, "DISORDER"), (9, 10, "DISORDER"), (12, 14, "ANATOMY")])
    m = score_spans([doc_spans(pred, gold)])
    s, le = m["strict"], m["lenient"]
    assert (s["micro"]["tp"], s["micro"]["fp"], s["micro"]["fn"]) == (1, 3, 3)
    assert s["micro"]["p"] == pytest.approx(0.25) and s["micro"]["r"] == pytest.approx(0.25)
    assert s["per_label"]["DISORDER"]["p"] == pytest.approx(1 / 3)
    assert s["per_label"]["DISORDER"]["r"] == pytest.approx(1 / 2)
    assert s["per_label"]["DISORDER"]["f"] == pytest.approx(0.4)
    assert s["per_label"]["DRUG"]["f"] == 0.0 and s["per_label"]["ANATOMY"]["f"] == 0.0
    # macro: mean over 3 labels; weighted: by gold support (DISORDER 2, DRUG 1, ANATOMY 1)
    assert s["macro"]["f"] == pytest.approx(0.4 / 3)
    assert s["weighted"]["f"] == pytest.approx(0.4 * 2 / 4)
    # lenient: pain overlaps chest pain, knee injury overlaps knee
    assert (le["micro"]["tp"], le["micro"]["fp"], le["micro"]["fn"]) == (3, 1, 1)
    assert le["per_label"]["DISORDER"]["p"] == pytest.approx(2 / 3)
    assert le["per_label"]["DISORDER"]["r"] == pytest.approx(1.0)


def test_lenient_counts_each_gold_once():
    doc = DocSpans("x", gold={(0, 10, "DISORDER")}, pred={(0, 4, "DISORDER"), (5, 10, "DISORDER")})
    counts = lenient_counts(doc)["DISORDER"]
    assert (counts.tp, counts.fp, counts.fn) == (1, 1, 0)


def test_empty_scores_are_none_like_spacy():
    m = score_spans([doc_spans(_doc([]), _doc([]))])
    assert m["strict"]["micro"] is None and m["strict"]["macro"] is None
    assert score_examples([Example(_doc([]), _doc([]))])["ents_f"] is None


def _random_docs(rng, n_docs, labels=("DISORDER", "DRUG", "ANATOMY")):
    examples = []
    for _ in range(n_docs):
        words = [rng.choice(WORDS) for _ in range(rng.randint(0, 25))]

        def ents():
            out, i = [], 0
            while i < len(words):
                if rng.random() < 0.3:
                    length = rng.randint(1, 3)
                    out.append((i, min(len(words), i + length), rng.choice(labels)))
                    i += length + rng.randint(0, 1)
                else:
                    i += 1
            return out

        gold = _doc(ents(), words=words)
        pred = _doc(ents(), words=words)
        # copy some gold spans into the prediction so that there are true positives
        keep = [(e.start, e.end, e.label_) for e in gold.ents if rng.random() < 0.5]
        spans = {(s, e, lb) for s, e, lb in keep} | {(e.start, e.end, e.label_) for e in pred.ents}
        pred.set_ents([], default="outside")
        pred.set_ents(spacy.util.filter_spans([Span(pred, s, e, lb) for s, e, lb in sorted(spans)]))
        examples.append(Example(pred, gold))
    return examples


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_strict_micro_agrees_with_spacy(seed):
    examples = _random_docs(random.Random(seed), 15)
    ours, theirs = score_examples(examples), get_ner_prf(examples)
    for key in ("ents_p", "ents_r", "ents_f"):
        assert ours[key] == pytest.approx(theirs[key], abs=1e-12)
    assert set(ours["ents_per_type"]) == set(theirs["ents_per_type"])
    for label, prf in theirs["ents_per_type"].items():
        assert ours["ents_per_type"][label] == pytest.approx(prf, abs=1e-12)
    # and the library path (DocBins paired by position) gives the same micro F1
    metrics = evaluate_docs([eg.reference for eg in examples], [eg.predicted for eg in examples], n_bootstrap=0)
    assert metrics["strict"]["micro"]["f"] == pytest.approx(theirs["ents_f"], abs=1e-12)


def test_agrees_with_spacy_when_tokenisation_differs():
    words = ["chest", "pain", "and", "fever", "."]
    gold = Doc(NLP.vocab, words=words, spaces=[True, True, True, False, False])
    gold.ents = [Span(gold, 0, 2, "DISORDER"), Span(gold, 3, 4, "DISORDER")]
    pred = Doc(NLP.vocab, words=["chest pain", "and", "fever."], spaces=[True, True, False])
    pred.ents = [Span(pred, 0, 1, "DISORDER"), Span(pred, 2, 3, "DISORDER")]
    eg = Example(pred, gold)
    assert score_examples([eg])["ents_f"] == pytest.approx(get_ner_prf([eg])["ents_f"])


def test_missing_gold_annotation_is_ignored_like_spacy():
    # "" = missing annotation on "aspirin": a prediction there is neither right nor wrong
    gold = Doc(NLP.vocab, words=WORDS, ents=["O", "O", "O", "B-DISORDER", "I-DISORDER"] + ["O"] * 4 + [""] + ["O"] * 4)
    pred = _doc([(3, 5, "DISORDER"), (9, 10, "DRUG")])
    eg = Example(pred, gold)
    assert score_examples([eg])["ents_f"] == pytest.approx(get_ner_prf([eg])["ents_f"]) == pytest.approx(1.0)


def test_unannotated_labels_are_not_false_positives():
    gold = _doc([(3, 5, "DISORDER")], doc_id="g1", annotated_labels=["DISORDER"])
    pred = _doc([(3, 5, "DISORDER"), (9, 10, "DRUG")])
    metrics = evaluate_docs([gold], [pred], n_bootstrap=0)
    assert metrics["strict"]["micro"]["f"] == 1.0
    assert metrics["ignored"] == {NOT_ANNOTATED: {"DRUG": 1}}
    assert "not counted as false positives" in to_markdown(metrics)
    # without the metadata the DRUG prediction is a false positive
    plain = evaluate_docs([_doc([(3, 5, "DISORDER")])], [pred], n_bootstrap=0)
    assert plain["strict"]["micro"]["p"] == 0.5


def test_label_restriction():
    gold = _doc([(3, 5, "DISORDER"), (9, 10, "DRUG"), (12, 13, "ANATOMY")])
    pred = _doc([(3, 5, "DISORDER"), (12, 14, "ANATOMY")])
    metrics = evaluate_docs([gold], [pred], labels=["DISORDER", "ANATOMY"], n_bootstrap=0)
    assert sorted(metrics["strict"]["per_label"]) == ["ANATOMY", "DISORDER"]
    assert metrics["strict"]["micro"]["f"] == pytest.approx(0.5)
    assert metrics["ignored"]["gold_label_not_evaluated"] == {"DRUG": 1}
    assert metrics["labels"] == ["ANATOMY", "DISORDER"]


def test_bootstrap_is_seeded_and_brackets_the_score():
    examples = _random_docs(random.Random(7), 30)
    docs = [doc_spans(eg.predicted, eg.reference) for eg in examples]
    first = bootstrap_micro_f(docs, n_resamples=300, seed=1)
    assert first == bootstrap_micro_f(docs, n_resamples=300, seed=1)
    assert first != bootstrap_micro_f(docs, n_resamples=300, seed=2)
    assert first["low"] <= first["f"] <= first["high"] and first["low"] < first["high"]
    assert first["f"] == pytest.approx(score_spans(docs)["strict"]["micro"]["f"])
    assert first["n_docs"] == 30 and first["level"] == 0.95


def test_registered_scorer():
    scorer = registry.scorers.get("clinner.span_scorer.v1")(labels=None)
    examples = _random_docs(random.Random(11), 5)
    scores = scorer(examples)
    assert {"ents_p", "ents_r", "ents_f", "ents_per_type", "ents_macro_f", "ents_weighted_f"} <= set(scores)
    assert scores["ents_f"] == pytest.approx(get_ner_prf(examples)["ents_f"])


def _write_docbin(docs, path):
    db = DocBin(store_user_data=True)
    for doc in docs:
        db.add(doc)
    db.to_disk(path)
    return path


def test_evaluate_files_and_cli(tmp_path):
    text_words = ["Patient", "has", "fever", "and", "took", "insulin", "before", "surgery", "."]
    golds, preds = [], []
    for i in range(4):
        gold = Doc(NLP.vocab, words=text_words)
        gold.ents = [Span(gold, 2, 3, "DISORDER"), Span(gold, 5, 6, "DRUG")] if i % 2 else [Span(gold, 2, 3, "DISORDER")]
        golds.append(set_meta(gold, doc_id=f"d{i}", annotated_labels=["DISORDER", "DRUG"]))
        pred = Doc(NLP.vocab, words=text_words)
        pred.ents = [Span(pred, 2, 3, "DISORDER")]
        preds.append(set_meta(pred, doc_id=f"d{i}"))
    gold_path = _write_docbin(golds, tmp_path / "gold.spacy")
    pred_path = _write_docbin(preds, tmp_path / "pred.spacy")
    metrics = evaluate_files(gold=gold_path, pred=pred_path, n_bootstrap=50, progress=False)
    assert metrics["strict"]["micro"]["tp"] == 4 and metrics["strict"]["micro"]["fn"] == 2
    assert metrics["pred"] == str(pred_path)

    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns([
        {"label": "DISORDER", "pattern": "fever"}, {"label": "DRUG", "pattern": "insulin"},
        {"label": "PROCEDURE", "pattern": "surgery"}])
    nlp.to_disk(tmp_path / "model")

    from clinner_spacy.cli.app import app, load_commands

    load_commands()
    runner = CliRunner()
    result = runner.invoke(app, ["evaluate", str(gold_path), "--model", str(tmp_path / "model"), "--output",
                                 str(tmp_path / "m.json"), "--markdown", str(tmp_path / "m.md"), "--labels",
                                 "DISORDER", "DRUG", "--bootstrap", "100"])
    assert result.exit_code == 0, result.output
    saved = json.loads((tmp_path / "m.json").read_text())
    # insulin is gold DRUG only in d1 and d3: 6 true positives, 2 false positives
    assert (saved["strict"]["micro"]["tp"], saved["strict"]["micro"]["fp"]) == (6, 2)
    assert saved["ignored"] == {NOT_ANNOTATED: {"PROCEDURE": 4}}
    assert saved["bootstrap"]["n_resamples"] == 100
    assert "| DRUG | 2 |" in (tmp_path / "m.md").read_text()
    both = runner.invoke(app, ["evaluate", str(gold_path)])
    assert both.exit_code == 1 and "exactly one of" in both.output
    mismatch = _write_docbin(preds[:3], tmp_path / "short.spacy")
    short = runner.invoke(app, ["evaluate", str(gold_path), "--pred", str(mismatch)])
    assert short.exit_code == 1 and "4 gold documents but 3 predicted" in short.output


def test_scorer_from_a_config():
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler", config={"scorer": {"@scorers": "clinner.span_scorer.v1", "labels": None}})
    ruler.add_patterns([{"label": "DISORDER", "pattern": "fever"}, {"label": "DRUG", "pattern": "aspirin"}])
    gold = _doc([(6, 7, "DISORDER"), (12, 14, "DISORDER")])
    scores = nlp.evaluate([Example(nlp.make_doc(gold.text), gold)])
    assert scores["ents_p"] == pytest.approx(0.5) and scores["ents_r"] == pytest.approx(0.5)
    # DISORDER F1 2/3 (support 2), DRUG F1 0 (support 0): macro 1/3, weighted 2/3
    assert scores["ents_macro_f"] == pytest.approx(1 / 3) and scores["ents_weighted_f"] == pytest.approx(2 / 3)
