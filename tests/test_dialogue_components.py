"""clinner_dialogue_turns and clinner_speaker_guard in pipelines."""
import pytest
import spacy
from spacy.tokens import Span

from clinner_spacy.util import get_meta

TEXT = "Doctor: Any chest pain? \r\nPatient: No.  \r\n[doctor] okay . [patient] my knee hurts"


@pytest.fixture
def nlp():
    nlp = spacy.blank("en")
    nlp.add_pipe("clinner_dialogue_turns")
    return nlp


def test_turns_set_sentences_and_speakers(nlp):
    doc = nlp(TEXT)
    assert [s.text.strip() for s in doc.sents] == [
        "Doctor: Any chest pain?", "Patient: No.", "[doctor] okay .", "[patient] my knee hurts",
    ]
    assert [(s.text, s.label_) for s in doc.spans["speakers"]] == [
        ("Doctor:", "doctor"), ("Patient:", "patient"), ("[doctor]", "doctor"), ("[patient]", "patient"),
    ]
    assert [s.label_ for s in doc.spans["turns"]] == ["doctor", "patient", "doctor", "patient"]


def test_turns_options_and_edge_docs():
    nlp = spacy.blank("en")
    nlp.add_pipe("clinner_dialogue_turns", config={"one_sentence_per_turn": True, "turns_key": None})
    doc = nlp("Doctor: Hi. How are you?\nPatient: Fine.")
    assert [s.text.strip() for s in doc.sents] == ["Doctor: Hi. How are you?", "Patient: Fine."]
    assert "turns" not in doc.spans
    assert len(list(nlp("no speaker here").sents)) == 1
    empty = nlp("")
    assert len(empty) == 0 and len(empty.spans["speakers"]) == 0


def test_turns_leave_inner_sentence_starts(nlp):
    doc = nlp.make_doc("Doctor: Hi. How are you?\nPatient: Fine.")
    doc[4].is_sent_start = True  # "How", as a sentencizer before us would set it
    doc = nlp.get_pipe("clinner_dialogue_turns")(doc)
    assert [s.text.strip() for s in doc.sents] == ["Doctor: Hi.", "How are you?", "Patient: Fine."]


def _guarded(nlp, text, spans, **cfg):
    guard = nlp.add_pipe("clinner_speaker_guard", config=cfg)
    doc = nlp(text)
    doc.set_ents([Span(doc, s, e, label=lab) for s, e, lab in spans])
    return guard(doc)


def test_guard_trims_prefix_and_splits_across_turns(nlp):
    text = "Patient: Headache. \r\nDoctor: chest\r\nPatient: pain"
    # tokens: Patient : Headache . \r\n Doctor : chest \r\n Patient : pain
    doc = _guarded(nlp, text, [(0, 3, "DISORDER"), (7, 12, "DISORDER")])
    assert [(e.text, e.label_) for e in doc.ents] == [("Headache", "DISORDER"), ("chest", "DISORDER"), ("pain", "DISORDER")]
    assert doc[0].ent_iob_ == "O" and doc[9].ent_iob_ == "O"
    assert get_meta(doc, "speaker_guard") == {"entities": 2, "trimmed": 2, "removed": 0}


def test_guard_remove_mode_and_prefix_only_entity(nlp):
    doc = _guarded(nlp, "Patient: Headache.\nDoctor: OK", [(0, 3, "DISORDER"), (5, 7, "DRUG")], mode="remove")
    assert list(doc.ents) == []
    assert get_meta(doc, "speaker_guard") == {"entities": 2, "trimmed": 0, "removed": 2}


def test_guard_keeps_clean_entities_and_missing_tokens(nlp):
    guard = nlp.add_pipe("clinner_speaker_guard")
    doc = nlp("Doctor: any fever?\nPatient: Doctor: no")
    doc.set_ents([Span(doc, 3, 4, label="DISORDER")], default="unmodified")  # other tokens stay missing
    guard(doc)
    assert [e.text for e in doc.ents] == ["fever"]
    assert doc[0].ent_iob_ == "" and doc[6].ent_iob_ == ""
    assert get_meta(doc, "speaker_guard")["trimmed"] == 0


def test_guard_without_turns_component_finds_prefixes():
    nlp = spacy.blank("en")
    guard = nlp.add_pipe("clinner_speaker_guard")
    doc = nlp("[patient] back pain")
    doc.set_ents([Span(doc, 0, 5, label="DISORDER")])
    guard(doc)
    assert [e.text for e in doc.ents] == ["back pain"]


def test_guard_rejects_bad_mode():
    nlp = spacy.blank("en")
    with pytest.raises(ValueError, match="mode"):
        nlp.add_pipe("clinner_speaker_guard", config={"mode": "drop"})


def test_pipeline_round_trip_loads_by_entry_point(nlp, tmp_path):
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "ANATOMY", "pattern": "knee"},
                                               {"label": "DISORDER", "pattern": [{"LOWER": "patient"}, {"ORTH": ":"}, {"LOWER": "fever"}]}])
    nlp.add_pipe("clinner_speaker_guard")
    nlp.to_disk(tmp_path / "pipe")
    loaded = spacy.load(tmp_path / "pipe")
    assert loaded.pipe_names == ["clinner_dialogue_turns", "entity_ruler", "clinner_speaker_guard"]
    doc = loaded("Doctor: hi\nPatient: fever and knee")
    assert [(e.text, e.label_) for e in doc.ents] == [("fever", "DISORDER"), ("knee", "ANATOMY")]
    texts = ["Doctor: knee?", "", "Patient: fever"]
    assert [[e.text for e in d.ents] for d in loaded.pipe(texts)] == [[e.text for e in loaded(t).ents] for t in texts]
