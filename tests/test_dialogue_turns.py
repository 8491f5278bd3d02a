"""Speaker-prefix and turn parsing: every style, CRLF, exact offsets."""
import json

import pytest

from clinner_spacy.dialogue.turns import canonical_speaker, count_turns, find_speaker_prefixes, parse_turns


def _check_offsets(text, turns):
    for turn in turns:
        assert text[turn.start : turn.end] == text[turn.start : turn.end].strip()
        assert turn.start <= turn.prefix_start <= turn.prefix_end <= turn.end


def test_colon_prefixes_with_crlf():
    text = "Doctor: What brings you in? \r\nPatient: Chest pain.  \r\nGuest_family: He fell.\r\nDoctor: OK."
    turns = parse_turns(text)
    assert [t.speaker for t in turns] == ["doctor", "patient", "guest_family", "doctor"]
    assert [text[t.prefix_start : t.prefix_end] for t in turns] == ["Doctor:", "Patient:", "Guest_family:", "Doctor:"]
    assert text[turns[1].start : turns[1].end] == "Patient: Chest pain."
    assert text[turns[1].content_start : turns[1].end].strip() == "Chest pain."
    assert turns[-1].end == len(text)
    _check_offsets(text, turns)


@pytest.mark.parametrize(
    "written,role",
    [
        ("Doctor", "doctor"),
        ("Patient", "patient"),
        ("Guest_family", "guest_family"),
        ("Guest_family_1", "guest_family"),
        ("Guest_family2", "guest_family"),
        ("Gest_family", "guest_family"),
        ("Guest_clinician", "guest_clinician"),
        ("Guest_clinican", "guest_clinician"),
        ("Doctor_2", "doctor"),
        ("patient_guest", "patient_guest"),
    ],
)
def test_speaker_names(written, role):
    text = f"Doctor: Hello.\n{written}: Hi there.\n"
    prefixes = find_speaker_prefixes(text)
    assert len(prefixes) == 2
    start, end, name = prefixes[1]
    assert text[start:end] == f"{written}:" and name == written
    assert canonical_speaker(name) == role


def test_bracket_prefixes_inline_and_lowercase():
    # ACI-Bench ASR: several turns on one line, lower case
    text = "[doctor] next patient is melissa . [patient] hi , doctor .\n[patient_guest] she is fine ."
    turns = parse_turns(text)
    assert [t.speaker for t in turns] == ["doctor", "patient", "patient_guest"]
    assert [text[t.prefix_start : t.prefix_end] for t in turns] == ["[doctor]", "[patient]", "[patient_guest]"]
    assert text[turns[0].start : turns[0].end] == "[doctor] next patient is melissa ."
    _check_offsets(text, turns)


def test_inline_colon_after_sentence_end():
    text = "Patient: No. Doctor: Any hallucinations?"
    turns = parse_turns(text)
    assert [t.speaker for t in turns] == ["patient", "doctor"]
    assert text[turns[1].prefix_start : turns[1].prefix_end] == "Doctor:"
    assert len(parse_turns(text, inline=False)) == 1


def test_not_speakers():
    text = "Doctor: Blood pressure: 120 over 80.\nNote: the patient: stable. [ inaudible 00:09:25 ] ok"
    assert [t.speaker for t in parse_turns(text)] == ["doctor"]


def test_lead_text_and_lone_cr_and_empty():
    text = '  "Doctor: Hi.\rPatient: Hello.'
    turns = parse_turns(text)
    assert [t.speaker for t in turns] == ["", "doctor", "patient"]
    assert text[turns[0].start : turns[0].end] == '"'
    assert turns[0].prefix_start == turns[0].prefix_end
    assert text[turns[2].prefix_start : turns[2].prefix_end] == "Patient:"
    assert parse_turns("") == [] and parse_turns(" \r\n ") == []
    assert [t.speaker for t in parse_turns("no prefixes at all")] == [""]


def test_count_turns():
    assert count_turns("Doctor: a\nPatient: b\n[doctor] c") == 3


@pytest.mark.data
def test_gold_has_no_prefix_inside_entities(shared_data):
    """The guidelines keep prefixes out of entities; the gold set honours it."""
    n_ents = 0
    for split in ("train", "dev"):
        for line in (shared_data / "dialogue" / "gold" / f"{split}.jsonl").read_text(encoding="utf-8").split("\n"):
            if not line.strip():
                continue
            record = json.loads(line)
            prefixes = find_speaker_prefixes(record["text"])
            for start, end, _ in record["entities"]:
                n_ents += 1
                assert not any(s < end and start < e for s, e, _ in prefixes), (record["id"], start, end)
    assert n_ents == 216 + 35 + 83 + 79 + 7 + 27  # gold/SOURCE.md counts
