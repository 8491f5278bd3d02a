"""`clinner annotate-dialogue`: JSONL with offsets into the original text, and a displaCy page."""
import json

import pytest
import spacy
import srsly
from typer.testing import CliRunner

from clinner_spacy.cli.app import load_commands
from clinner_spacy.dialogue.annotate import annotate_dialogues
from clinner_spacy.dialogue.io import read_dialogues, read_txt_dialogues

DIALOGUE_1 = "Doctor: Any chest pain? \r\nPatient: No, but my knee hurts.  \r\nDoctor: Take ibuprofen."
DIALOGUE_2 = "[doctor] fever ?\n[patient] fever , yes ."


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """A blank English pipeline with an entity ruler; one pattern swallows a speaker prefix."""
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([
        {"label": "DISORDER", "pattern": "chest pain"},
        {"label": "ANATOMY", "pattern": "knee"},
        {"label": "DRUG", "pattern": "ibuprofen"},
        {"label": "DISORDER", "pattern": [{"ORTH": "]"}, {"LOWER": "fever"}]},
    ])
    path = tmp_path_factory.mktemp("model") / "ruler"
    nlp.to_disk(path)
    return path


def _run(args):
    result = CliRunner().invoke(load_commands(), args)
    assert result.exit_code == 0, result.output
    return result


def test_annotate_jsonl_offsets_index_original_text(model_dir, tmp_path):
    src = tmp_path / "in.jsonl"
    srsly.write_jsonl(src, [{"id": "a", "text": DIALOGUE_1, "entities": [[12, 22, "DISORDER"]]},
                            {"id": "b", "text": DIALOGUE_2}])
    out, html = tmp_path / "out.jsonl", tmp_path / "view.html"
    result = _run(["annotate-dialogue", str(src), "--model", str(model_dir), "--output", str(out), "--html", str(html)])
    assert "2 dialogues" in result.output
    records = list(srsly.read_jsonl(out))
    assert [r["id"] for r in records] == ["a", "b"]
    assert records[0]["text"] == DIALOGUE_1
    assert [(DIALOGUE_1[s:e], lab) for s, e, lab in records[0]["entities"]] == [
        ("chest pain", "DISORDER"), ("knee", "ANATOMY"), ("ibuprofen", "DRUG")]
    assert records[0]["input_entities"] == [[12, 22, "DISORDER"]]
    assert [DIALOGUE_1[s:e] for s, e, _ in records[0]["speakers"]] == ["Doctor:", "Patient:", "Doctor:"]
    # "] fever" was trimmed by the speaker guard to "fever"
    assert [(DIALOGUE_2[s:e], lab) for s, e, lab in records[1]["entities"]] == [("fever", "DISORDER"), ("fever", "DISORDER")]
    assert records[1]["speaker_guard"] == {"entities": 2, "trimmed": 2, "removed": 0}
    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "ibuprofen" in page and ">a</h2>" in page


def test_annotate_txt_keeps_crlf_and_file_offsets(model_dir, tmp_path):
    content = f"\r\n{DIALOGUE_1}\r\n \r\n\r\n{DIALOGUE_2}\n"
    src = tmp_path / "in.txt"
    src.write_bytes(content.encode("utf-8"))
    out = tmp_path / "out.jsonl"
    stats = annotate_dialogues(input_path=src, model=str(model_dir), output=out, show_progress=False)
    assert stats["dialogues"] == 2 and stats["entities_DRUG"] == 1 and stats["guard_trimmed"] == 2
    records = list(srsly.read_jsonl(out))
    assert [r["text"] for r in records] == [DIALOGUE_1, DIALOGUE_2]
    for record in records:
        start = record["file_offset"]
        for s, e, _ in record["entities"]:
            assert content[start + s : start + e] == record["text"][s:e]


def test_txt_blocks_and_errors(tmp_path):
    path = tmp_path / "d.txt"
    path.write_bytes(b"Doctor: a\r\nPatient: b\r\n\r\n  \r\nDoctor: c")
    blocks = list(read_txt_dialogues(path))
    assert [(b.dialogue_id, b.text, b.file_offset) for b in blocks] == [
        ("d:1", "Doctor: a\r\nPatient: b", 0), ("d:2", "Doctor: c", 29)]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "Doctor: hi"}\n{"id": 2}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.jsonl:line 2"):
        annotate_dialogues(input_path=bad, model=spacy.blank("en"), output=tmp_path / "o.jsonl")
    other = tmp_path / "x.csv"
    other.write_text("", encoding="utf-8")
    with pytest.raises(ValueError, match=r"x\.csv:file name: expected a .jsonl, .txt or .spacy"):
        list(read_dialogues(other))


def test_no_components_added_when_asked(model_dir, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"text": DIALOGUE_2}) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    _run(["annotate-dialogue", str(src), "-m", str(model_dir), "-o", str(out), "--no-add-dialogue-components"])
    (record,) = srsly.read_jsonl(out)
    assert record["id"] == "in:1" and "speakers" not in record
    assert [DIALOGUE_2[s:e] for s, e, _ in record["entities"]] == ["] fever", "] fever"]
