"""Raw dialogue readers (MTS-Dialog CSV, ACI-Bench CSV/JSON, PriMock57 TextGrid) and their collection."""
import json

import pytest
from spacy.tokens import DocBin
from spacy.vocab import Vocab

from clinner_spacy.corpora.base import CorpusFormatError
from clinner_spacy.dialogue.raw import (
    read_aci_bench_csv,
    read_aci_bench_json,
    read_mts_dialog_csv,
    read_primock57,
    read_textgrid_utterances,
)
from clinner_spacy.dialogue.raw_collect import collect_raw_dialogues, is_gold_candidate
from clinner_spacy.dialogue.raw_docbin import convert_raw_dialogue
from clinner_spacy.util import get_meta

GOLD_LIKE = "Doctor: a?\r\nPatient: b.\r\nDoctor: c?\r\nPatient: d."
MTS = (
    "ID,section_header,section_text,dialogue\r\n"
    f'0,GENHX,"Text.","{GOLD_LIKE}"\r\n'
    '1,CC,"Pain.","Doctor: Any ""sharp"" pain?\r\nPatient: Yes."\r\n'
)
ACI_CSV = 'dataset,encounter_id,dialogue,note\nvirtassist,D2N001,"[doctor] hi , martha .\n[patient] hi .",note\n'
ACI_JSON = {"data": [{"src": "[doctor] hi , martha .\n[patient] hi .", "tgt": "note", "file": "D2N001-virtassist"}]}


def _textgrid(tier, intervals):
    body = "".join(
        f'        intervals [{i}]:\r\n            xmin = {a} \r\n            xmax = {b} \r\n            text = "{t}" \r\n'
        for i, (a, b, t) in enumerate(intervals, 1)
    )
    return (
        'File type = "ooTextFile"\r\nObject class = "TextGrid"\r\n\r\nxmin = 0 \r\nxmax = 9 \r\ntiers? <exists> \r\n'
        f'size = 1 \r\nitem []: \r\n    item [1]:\r\n        class = "IntervalTier" \r\n        name = "{tier}" \r\n'
        f"        xmin = 0 \r\n        xmax = 9 \r\n        intervals: size = {len(intervals)} \r\n" + body
    )


@pytest.fixture
def raw_dir(tmp_path):
    root = tmp_path / "raw"
    (root / "mts_dialog" / "Main-Dataset").mkdir(parents=True)
    (root / "mts_dialog" / "Main-Dataset" / "MTS-Dialog-TrainingSet.csv").write_bytes(MTS.encode("utf-8"))
    (root / "mts_dialog" / "Main-Dataset" / "MTS-Dialog-ValidationSet.csv").write_bytes(MTS.replace("0,GENHX", "5,GENHX").encode())
    aci = root / "aci_bench" / "data"
    (aci / "challenge_data").mkdir(parents=True)
    (aci / "challenge_data_json").mkdir(parents=True)
    (aci / "challenge_data" / "train.csv").write_text(ACI_CSV, encoding="utf-8")
    (aci / "challenge_data" / "train_metadata.csv").write_text("dataset,encounter_id\n", encoding="utf-8")
    (aci / "challenge_data" / "valid.csv").write_text(ACI_CSV.replace("martha .", "martha ,"), encoding="utf-8")
    (aci / "challenge_data_json" / "train.json").write_text(json.dumps(ACI_JSON), encoding="utf-8")
    prim = root / "primock57" / "transcripts"
    prim.mkdir(parents=True)
    (prim / "day1_consultation01_doctor.TextGrid").write_text(
        _textgrid("Doctor", [(0, 1, ""), (1, 2, "Hello. <UNSURE>How</UNSURE> can I help?"), (5, 6, 'Any ""pain""?')]))
    (prim / "day1_consultation01_patient.TextGrid").write_text(
        _textgrid("Patient", [(0, 2.5, ""), (2.5, 4, "I have a cough. <UNIN/>")]))
    return root


def test_mts_dialog_csv_keeps_crlf(raw_dir):
    path = raw_dir / "mts_dialog" / "Main-Dataset" / "MTS-Dialog-TrainingSet.csv"
    dialogues = list(read_mts_dialog_csv(path))
    assert [d.dialogue_id for d in dialogues] == ["mts_dialog:MTS-Dialog-TrainingSet:0", "mts_dialog:MTS-Dialog-TrainingSet:1"]
    assert dialogues[0].text == GOLD_LIKE
    assert dialogues[1].text == 'Doctor: Any "sharp" pain?\r\nPatient: Yes.'
    assert is_gold_candidate(dialogues[0]) and not is_gold_candidate(dialogues[1])


def test_aci_bench_csv_and_json_agree(raw_dir):
    csv_d = list(read_aci_bench_csv(raw_dir / "aci_bench" / "data" / "challenge_data" / "train.csv"))
    json_d = list(read_aci_bench_json(raw_dir / "aci_bench" / "data" / "challenge_data_json" / "train.json"))
    assert [d.text for d in csv_d] == [d.text for d in json_d] == ["[doctor] hi , martha .\n[patient] hi ."]
    assert csv_d[0].dialogue_id == "aci_bench:train:D2N001"


def test_primock57_collates_turns_by_time(raw_dir):
    (d,) = list(read_primock57(raw_dir / "primock57" / "transcripts"))
    assert d.dialogue_id == "primock57:day1_consultation01"
    assert d.text == 'Doctor: Hello. How can I help?\nPatient: I have a cough.\nDoctor: Any "pain"?'


def test_format_errors_name_file_and_place(tmp_path):
    bad_csv = tmp_path / "x.csv"
    bad_csv.write_text("ID,text\n1,hello\n", encoding="utf-8")
    with pytest.raises(CorpusFormatError, match=r"x\.csv:line 1: expected columns"):
        list(read_mts_dialog_csv(bad_csv))
    bad_json = tmp_path / "y.json"
    bad_json.write_text('{"data": [{"src": 1}]}', encoding="utf-8")
    with pytest.raises(CorpusFormatError, match=r"y\.json:data\[0\]"):
        list(read_aci_bench_json(bad_json))
    grid = tmp_path / "z.TextGrid"
    grid.write_text(_textgrid("Doctor", [(0, 1, "hi")]).replace("intervals: size = 1", "intervals: size = 2"))
    with pytest.raises(CorpusFormatError, match=r"z\.TextGrid:line \d+: tiers declare 2 intervals"):
        read_textgrid_utterances(grid)
    missing = tmp_path / "t"
    missing.mkdir()
    (missing / "a_doctor.TextGrid").write_text(_textgrid("Doctor", [(0, 1, "hi")]))
    with pytest.raises(CorpusFormatError, match="no matching patient transcript"):
        list(read_primock57(missing))


def test_collect_dedups_and_holds_out_gold_candidates(raw_dir):
    kept, counts = collect_raw_dialogues(raw_dir)
    assert dict(counts["mts_dialog"]) == {"read": 4, "gold_candidate": 2, "kept": 1, "duplicate": 1}
    # the valid.csv copy differs only in punctuation: a duplicate
    assert dict(counts["aci_bench"]) == {"read": 2, "kept": 1, "duplicate": 1}
    assert dict(counts["primock57"]) == {"read": 1, "kept": 1}
    kept_none, counts_none = collect_raw_dialogues(raw_dir, exclude="none", exclude_texts=[GOLD_LIKE])
    assert counts_none["mts_dialog"]["excluded_text"] == 2
    assert len(kept_none) == len(kept)
    with pytest.raises(ValueError, match="exclude"):
        collect_raw_dialogues(raw_dir, exclude="all")


def test_convert_raw_dialogue_writes_docbin(raw_dir, tmp_path):
    counts = convert_raw_dialogue(data_dir=raw_dir, output=tmp_path / "raw.spacy", show_progress=False)
    docs = list(DocBin().from_disk(tmp_path / "raw.spacy").get_docs(Vocab()))
    assert len(docs) == 3 == sum(c["kept"] for c in counts.values())
    assert get_meta(docs[0], "corpus") == "dialogue-raw" and list(get_meta(docs[0], "annotated_labels")) == []
    assert all(t.ent_iob_ == "" for doc in docs for t in doc)
    assert counts["primock57"]["chars"] == len(docs[-1].text)


@pytest.mark.data
def test_real_raw_corpora_counts(shared_data):
    """Counts measured on 2026-11-22; a change upstream or in the readers shows here."""
    kept, counts = collect_raw_dialogues(shared_data / "dialogue" / "raw")
    assert {s: dict(c) for s, c in counts.items()} == {
        "mts_dialog": {"read": 1701, "kept": 721, "duplicate": 6, "gold_candidate": 974},
        "aci_bench": {"read": 207, "kept": 207},
        "primock57": {"read": 57, "kept": 57},
    }
    assert len(kept) == 985


@pytest.mark.data
def test_gold_selection_rule_reproduces_gold(shared_data):
    """gold/SOURCE.md's rule, applied to the training CSV in file order, picks exactly the gold rows."""
    path = shared_data / "dialogue" / "raw" / "mts_dialog" / "Main-Dataset" / "MTS-Dialog-TrainingSet.csv"
    candidates = [d for d in read_mts_dialog_csv(path) if is_gold_candidate(d)]
    gold = [json.loads(line) for split in ("train", "dev")
            for line in (shared_data / "dialogue" / "gold" / f"{split}.jsonl").read_text(encoding="utf-8").split("\n") if line.strip()]
    assert [d.text for d in candidates[:100]] == [g["text"] for g in gold]
