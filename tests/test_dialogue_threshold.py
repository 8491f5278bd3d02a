"""Choosing the self-training threshold on dev: kept-turn scores and the choice rule."""
import pytest
import spacy
from spacy.tokens import DocBin, Span
from typer.testing import CliRunner

from clinner_spacy.reporting.tables import sweep_table
from clinner_spacy.training.threshold import sweep, sweep_model, unit_scores

from test_dialogue_self_training import _tiny_ner_pipeline


def _gold(nlp, text, words):
    doc = nlp.make_doc(text)
    doc.set_ents([Span(doc, t.i, t.i + 1, label=label) for t in doc for w, label in words if t.text == w])
    return doc


def test_unit_scores_by_character_offsets():
    nlp = spacy.blank("en")
    nlp.add_pipe("clinner_dialogue_turns")
    pred = nlp("Doctor: any fever ?\nPatient: took aspirin .")
    gold = _gold(nlp, pred.text, [("fever", "DISORDER"), ("aspirin", "DRUG")])
    fever = [t.i for t in pred if t.text == "fever"][0]
    took = [t.i for t in pred if t.text == "took"][0]
    pred.set_ents([Span(pred, fever, fever + 1, label="DISORDER"), Span(pred, took, took + 1, label="DRUG")])
    units = [(s.start, s.end) for s in pred.sents]
    assert unit_scores(pred, gold, units) == [(1, 0, 0), (0, 1, 1)]


def test_sweep_rows_and_choice():
    nlp = _tiny_ner_pipeline()
    gold = [_gold(nlp, "Doctor: any fever ?\nPatient: no fever .", [("fever", "DISORDER")]),
            _gold(nlp, "Patient: I took aspirin .\nDoctor: ok .", [("aspirin", "DRUG")])]
    result = sweep(nlp, gold, thresholds=[0.0, 0.5, 1.0], min_kept=0.5)
    rows = {(r["scope"], r["threshold"]): r for r in result["rows"]}
    assert len(rows) == 6 and {r["scope"] for r in result["rows"]} == {"all", "entities"}
    assert rows["all", 0.0]["units_kept"] == rows["all", 0.0]["units"] == result["all_units"]["units"] == 4
    assert rows["all", 1.0]["units_kept"] == 0 and rows["all", 1.0]["f"] == 0.0
    # the entities scope judges a turn by its mentions only: a turn without any is always kept
    assert rows["entities", 1.0]["units_kept"] >= rows["all", 1.0]["units_kept"]
    # counts over kept turns add up to the gold mentions of those turns
    assert rows["all", 0.0]["tp"] + rows["all", 0.0]["fn"] == 3
    assert "50%" in result["rule"] and result["scope"] in ("all", "entities")
    eligible = [r for r in result["rows"] if r["kept_share"] >= 0.5]
    assert rows[result["scope"], result["chosen"]]["f"] == max(r["f"] for r in eligible)
    assert "(chosen)" in sweep_table(result) and "none (all)" in sweep_table(result)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        sweep(nlp, gold, thresholds=[1.5])
    with pytest.raises(ValueError, match="no gold"):
        sweep(nlp, [], thresholds=[0.5])


def test_sweep_names_missing_inputs(tmp_path):
    with pytest.raises(FileNotFoundError, match="no pipeline directory"):
        sweep_model(tmp_path / "nope", tmp_path / "dev.spacy")
    nlp = _tiny_ner_pipeline()
    nlp.to_disk(tmp_path / "model")
    with pytest.raises(FileNotFoundError, match="dev.spacy: no gold file"):
        sweep_model(tmp_path / "model", tmp_path / "dev.spacy")


def test_self_training_data_auto_threshold_needs_the_sweep(tmp_path):
    from clinner_spacy.cli.app import load_commands
    from clinner_spacy.dialogue.plan import make_dialogue_plan

    make_dialogue_plan(profile="quick", ks=["all"], seeds=[1], max_steps=1, eval_frequency=1,
                       encoder="e").to_disk(tmp_path / "plan.json")
    (tmp_path / "raw.spacy").write_bytes(DocBin().to_bytes())
    (tmp_path / "train.spacy").write_bytes(DocBin().to_bytes())
    base = ["dialogue-self-training-data", "--plan", str(tmp_path / "plan.json"), "--raw", str(tmp_path / "raw.spacy"),
            "--gold-train", str(tmp_path / "train.spacy")]
    result = CliRunner().invoke(load_commands(), base + ["--threshold", "auto", "--sweep", str(tmp_path / "t.json")])
    assert result.exit_code == 1 and "dialogue-threshold" in result.output
    result = CliRunner().invoke(load_commands(), base + ["--threshold", "high"])
    assert result.exit_code == 1 and "'auto'" in result.output
