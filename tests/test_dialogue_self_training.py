"""Self-training: confidence from tag probabilities, unit selection, pseudo-labelled DocBins."""
import numpy
import pytest
import spacy
import srsly
from spacy.tokens import DocBin, Span
from spacy.training import Example

from clinner_spacy.training.confidence import doc_units, final_tag_ids, select_units, token_confidences
from clinner_spacy.training.self_training import pseudo_docs, pseudo_label
from clinner_spacy.util import get_meta

LABELS = ["DISORDER", "DRUG"]  # tags: O, B-DISORDER, I-DISORDER, B-DRUG, I-DRUG


def _doc(text="Doctor: chest pain ?\nPatient: took aspirin .", ents=((2, 4, "DISORDER"), (9, 10, "DRUG"))):
    nlp = spacy.blank("en")
    nlp.add_pipe("clinner_dialogue_turns")
    doc = nlp(text)
    # default tokens: Doctor : chest pain ? \n | Patient : took aspirin .
    doc.set_ents([Span(doc, s, e, label=lab) for s, e, lab in ents])
    return doc


def test_final_tag_ids_and_confidences():
    doc = _doc()
    ids = final_tag_ids(doc, LABELS)
    assert ids.tolist() == [0, 0, 1, 2, 0, 0, 0, 0, 0, 3, 0]
    probs = numpy.full((len(doc), 5), 0.01, dtype="f")
    probs[numpy.arange(len(doc)), ids] = 0.96
    probs[3, 2] = 0.5  # unsure whether "pain" continues the entity
    conf = token_confidences(probs, ids)
    assert conf[3] == pytest.approx(0.5) and conf[2] == pytest.approx(0.96)
    assert token_confidences(None, ids).tolist() == [1.0] * len(doc)
    assert final_tag_ids(doc, ["DISORDER"])[9] == -1  # a label the tagger lacks: no probability


def test_select_units_by_threshold_scope_and_entities():
    doc = _doc()
    units = doc_units(doc)
    assert units == [(0, 6), (6, 11)]
    conf = numpy.full((len(doc),), 0.99, dtype="f")
    conf[3] = 0.6  # the first turn's entity
    conf[7] = 0.7  # an "O" token of the second turn
    strict = select_units(doc, conf, units, threshold=0.9)
    assert [(d.kept, d.reason) for d in strict] == [(False, "low_confidence"), (False, "low_confidence")]
    assert strict[0].confidence == pytest.approx(0.6)
    lenient = select_units(doc, conf, units, threshold=0.9, scope="entities")
    assert [d.reason for d in lenient] == ["low_confidence", "kept"]
    assert [d.reason for d in select_units(doc, conf, units, threshold=0.5, min_entities=2)] == ["too_few_entities"] * 2
    assert doc_units(doc, by_sentence=False) == [(0, len(doc))]
    with pytest.raises(ValueError, match="scope"):
        select_units(doc, conf, units, threshold=0.5, scope="tokens")


def test_entity_across_units_rejects_both():
    doc = _doc("Doctor: chest\nPatient: pain", ents=[(2, 6, "DISORDER")])  # "chest \n Patient :" runs into the next turn
    decisions = select_units(doc, numpy.ones((len(doc),), "f"), doc_units(doc), threshold=0.5)
    assert [d.reason for d in decisions] == ["crossing", "crossing"]


def test_pseudo_docs_sentence_and_doc_units():
    doc = _doc()
    conf = numpy.ones((len(doc),), dtype="f")
    conf[3] = 0.5
    decisions = select_units(doc, conf, doc_units(doc), threshold=0.9)
    (sent,) = pseudo_docs(doc, decisions, "sentence")
    assert sent.text == "Patient: took aspirin ." and [(e.text, e.label_) for e in sent.ents] == [("aspirin", "DRUG")]
    (whole,) = pseudo_docs(doc, decisions, "doc")
    assert whole.text == doc.text and [e.text for e in whole.ents] == ["aspirin"]
    assert [t.ent_iob_ for t in whole[:6]] == [""] * 6  # rejected turn: missing, not "O"
    assert whole[6].ent_iob_ == "O"
    assert pseudo_docs(doc, [d for d in decisions if not d.kept], "doc") == []


def _tiny_ner_pipeline():
    nlp = spacy.blank("en")
    nlp.add_pipe("clinner_dialogue_turns")
    tok2vec = {"@architectures": "spacy.HashEmbedCNN.v2", "width": 32, "depth": 1, "embed_size": 300,
               "window_size": 1, "maxout_pieces": 2, "subword_features": True, "pretrained_vectors": None}
    nlp.add_pipe("clinner_ner", config={"model": {"@architectures": "clinner.TokenTagger.v1", "nO": None,
                                                  "use_dropout": False, "tok2vec": tok2vec}})
    nlp.add_pipe("clinner_speaker_guard")
    train = [("Doctor: any fever ?\nPatient: no fever .", ["DISORDER"] * 2, "fever"),
             ("Patient: I took aspirin .\nDoctor: ok .", ["DRUG"], "aspirin")]
    examples = []
    for text, labels, word in train:
        ref = nlp.make_doc(text)
        ref.set_ents([Span(ref, t.i, t.i + 1, label=lab) for t, lab in zip([t for t in ref if t.text == word], labels)])
        examples.append(Example(nlp.make_doc(text), ref))
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(40):
        nlp.update(examples, sgd=optimizer, annotates=["clinner_dialogue_turns"])
    return nlp


def test_pseudo_label_with_tagger_probabilities(tmp_path):
    nlp = _tiny_ner_pipeline()
    raw = tmp_path / "raw.jsonl"
    srsly.write_jsonl(raw, [{"id": "d1", "text": "Doctor: any fever ?\nPatient: I took aspirin .\nDoctor: zzz qqq ."}])
    out = tmp_path / "pseudo.spacy"
    stats = pseudo_label(inputs=[raw], model=nlp, output=out, threshold=0.5, show_progress=False)
    assert stats["tagger"] == "clinner_ner" and stats["dialogues"] == 1
    assert sum(stats["units"].values()) == 3
    docs = list(DocBin().from_disk(out).get_docs(nlp.vocab))
    assert len(docs) == stats["docs"] == stats["units"].get("kept", 0) >= 1
    for doc in docs:
        meta = get_meta(doc)
        assert meta["corpus"] == "dialogue-pseudo" and meta["source_doc_id"] == "d1"
        assert sorted(meta["annotated_labels"]) == ["DISORDER", "DRUG"]
        assert meta["pseudo_confidence"] >= 0.5
    # nothing is certain enough at 1.0
    stats_all = pseudo_label(inputs=[raw], model=nlp, output=out, threshold=1.0, show_progress=False)
    assert stats_all["docs"] == 0 and stats_all["units"]["low_confidence"] == 3


def test_pseudo_label_proxy_without_tagger(tmp_path, caplog):
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "DRUG", "pattern": "aspirin"}])
    txt = tmp_path / "raw.txt"
    txt.write_bytes(b"Doctor: hi .\r\nPatient: aspirin .\r\n\r\nDoctor: bye .")
    out = tmp_path / "pseudo.spacy"
    with caplog.at_level("WARNING", logger="clinner_spacy"):
        stats = pseudo_label(inputs=[txt], model=nlp, output=out, threshold=0.99, min_entities=1,
                             unit="doc", show_progress=False)
    assert "confidence 1.0" in caplog.text
    assert stats["tagger"] is None and stats["docs"] == 1 and stats["entities"] == {"DRUG": 1}
    (doc,) = DocBin().from_disk(out).get_docs(nlp.vocab)
    assert list(get_meta(doc, "annotated_labels")) == ["DRUG"] and get_meta(doc, "doc_id") == "raw:1"
    assert doc[0].ent_iob_ == ""  # the doctor's turn had no entity: missing, not "O"
