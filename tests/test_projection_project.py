"""Projection end to end with fake translators, including every failure path."""
import re
import shutil

import pytest
import spacy

from clinner_spacy.projection.project import Projector
from clinner_spacy.translate.base import UnsupportedLanguagePair
from clinner_spacy.util import get_meta, set_meta

WORDS = {
    "el": "the", "la": "the", "paciente": "patient", "presenta": "presents", "dolor": "pain",
    "abdominal": "abdominal", "en": "in", "mano": "hand", "derecha": "right", "cáncer": "cancer",
    "de": "of", "mama": "breast", "mujer": "woman", "con": "with", "fiebre": "fever", "y": "and",
    "tos": "cough", "hepatitis": "hepatitis", "aguda": "acute", "tratada": "treated",
    "amoxicilina": "amoxicillin", "hígado": "liver", "sin": "without",
}


def substitute(text):
    """Word-by-word dictionary translation that keeps case and changes lengths."""
    def repl(m):
        word = m.group()
        new = WORDS.get(word.lower(), word)
        return new.capitalize() if word[:1].isupper() else new
    return re.sub(r"\w+", repl, text)


class DictTranslator:
    name = "dict"

    def __init__(self):
        self.calls = []

    def translate(self, texts, src_lang, tgt_lang):
        if (src_lang, tgt_lang) != ("es", "en"):
            raise UnsupportedLanguagePair(f"dict: no route {src_lang}->{tgt_lang}")
        if texts:
            self.calls.append(list(texts))
        return [self.fix(substitute(t)) for t in texts]

    def fix(self, text):
        return text

    def cache_signature(self):
        return {"backend": self.name}


class DropMarkers(DictTranslator):
    """Loses every tag (as NMT sometimes does)."""

    def fix(self, text):
        return re.sub(r"</?e\d+>", "", text)


class Garble(DictTranslator):
    """Duplicates e1, swaps e2's tags, breaks e3's opening tag into residue, crosses e4 with e5."""

    def fix(self, text):
        text = re.sub(r"(<e1>.*?</e1>)", r"\1 \1", text)
        text = text.replace("<e2>", "@@").replace("</e2>", "<e2>").replace("@@", "</e2>")
        text = text.replace("<e3>", "e3>")
        text = text.replace("</e4>", "").replace("</e5>", "</e5></e4>")
        return text


class Reorder(DictTranslator):
    """Moves the first marked entity to the end of the sentence with its tags."""

    def fix(self, text):
        m = re.search(r"<e1>.*?</e1>", text)
        if not m:
            return text
        return (text[: m.start()] + text[m.end() :]).rstrip(".") + " " + m.group() + "."


_NLP = {}


def make_doc(text, ents, sents=None, doc_id="d1"):
    nlp = _NLP.setdefault("es", spacy.blank("es"))
    doc = nlp(text)
    spans = []
    for start, end, label in ents:
        span = doc.char_span(start, end, label=label)
        assert span is not None, (start, end)
        spans.append(span)
    doc.ents = spans
    if sents is not None:
        for tok in doc:
            tok.is_sent_start = tok.idx in sents
    set_meta(doc, doc_id=doc_id, lang="es", corpus="test", split="train", annotated_labels=["DISORDER", "ANATOMY"])
    return doc


def ents_of(doc):
    return [(e.text, e.label_) for e in doc.ents]


TEXT = "El paciente presenta dolor abdominal. Cáncer de mama en la mano derecha."
GOLD = [(21, 36, "DISORDER"), (38, 52, "DISORDER"), (59, 71, "ANATOMY")]


def project(doc_list, translator=None, **kwargs):
    kwargs.setdefault("show_progress", False)
    return Projector(translator or DictTranslator(), src_lang="es", tgt_lang="en", **kwargs)(doc_list)


def test_dictionary_translation_with_markers():
    docs, report = project([make_doc(TEXT, GOLD, sents={0, 38})])
    doc = docs[0]
    assert doc.text == "The patient presents pain abdominal. Cancer of breast in the hand right."
    assert ents_of(doc) == [("pain abdominal", "DISORDER"), ("Cancer of breast", "DISORDER"), ("hand right", "ANATOMY")]
    assert [s.text for s in doc.sents] == ["The patient presents pain abdominal.", "Cancer of breast in the hand right."]
    assert report.to_dict()["by_method"] == {"marker": 3}
    meta = get_meta(doc)
    assert meta["source_doc_id"] == "d1" and meta["lang"] == "en" and meta["source_lang"] == "es"
    assert meta["annotated_labels"] == ["DISORDER", "ANATOMY"] and meta["translator"] == "dict"
    assert meta["alignment"][1] == {"source": [38, 72], "target": [37, 72], "sentences": 1}
    assert [r["method"] for r in meta["projection"]] == ["marker"] * 3


def test_dropped_markers_fall_back_to_entity_translation():
    docs, report = project([make_doc(TEXT, GOLD, sents={0, 38})], DropMarkers())
    assert ents_of(docs[0]) == [("pain abdominal", "DISORDER"), ("Cancer of breast", "DISORDER"), ("hand right", "ANATOMY")]
    data = report.to_dict()
    assert data["by_method"] == {"fallback-exact": 3}
    assert data["marker_status"] == {"missing": 3}


def test_garbled_markers_are_detected_and_recovered():
    text = "Fiebre y tos. Hepatitis aguda tratada con amoxicilina sin dolor."
    gold = [(0, 6, "DISORDER"), (9, 12, "DISORDER"), (14, 29, "DISORDER"), (42, 53, "DRUG"), (58, 63, "DISORDER")]
    docs, report = project([make_doc(text, gold, sents={0, 14})], Garble())
    doc = docs[0]
    assert "e3" not in doc.text and "<" not in doc.text
    assert ents_of(doc) == [("Fever", "DISORDER"), ("cough", "DISORDER"), ("Hepatitis acute", "DISORDER"),
                            ("amoxicillin", "DRUG"), ("pain", "DISORDER")]
    data = report.to_dict()
    assert data["placed"] == 5 and not report.lost
    # each sentence numbers its own markers, so both sentences lose e1 and e2
    assert data["marker_status"] == {"duplicated": 2, "reversed": 2, "unbalanced": 1}
    assert data["tag_residue"] >= 1


def test_reordered_markers_still_place_correctly():
    docs, _ = project([make_doc("Dolor en la mano.", [(0, 5, "DISORDER"), (12, 16, "ANATOMY")])], Reorder())
    doc = docs[0]
    assert doc.text == "in the hand Pain."
    assert ents_of(doc) == [("hand", "ANATOMY"), ("Pain", "DISORDER")]


def test_unplaceable_entity_is_reported_not_guessed():
    class Paraphrase(DropMarkers):
        # in context only: the entity translated alone still gives "hand"
        def fix(self, text):
            return super().fix(text).replace("the hand", "the extremity")

    docs, report = project([make_doc("Dolor en la mano.", [(0, 5, "DISORDER"), (12, 16, "ANATOMY")])], Paraphrase())
    assert ents_of(docs[0]) == [("Pain", "DISORDER")]
    assert report.to_dict()["by_method"] == {"fallback-exact": 1, "lost": 1}
    (lost,) = report.lost
    assert (lost["doc_id"], lost["sentence"], lost["text"], lost["label"]) == ("d1", 0, "mano", "ANATOMY")
    assert lost["reason"] == "marker-missing"
    assert get_meta(docs[0], "projection")[1]["method"] == "lost"
    assert "| d1 | 0 | ANATOMY | mano | marker-missing |" in report.to_markdown()


def test_empty_docs_and_docs_without_entities():
    empty = make_doc("", [], doc_id="empty")
    blank = make_doc("   ", [], doc_id="blank")
    plain = make_doc("Fiebre y tos.", [], doc_id="plain")
    translator = DictTranslator()
    docs, report = project([empty, blank, plain], translator)
    assert [d.text for d in docs] == ["", "", "Fever and cough."]
    assert [get_meta(d, "source_doc_id") for d in docs] == ["empty", "blank", "plain"]
    assert report.entities == 0 and report.docs == 3
    assert translator.calls == [["Fiebre y tos."]]  # blank texts never reach the translator


def test_entities_at_very_start_and_end_adjacent_and_nested():
    text = "Fiebre tos"
    doc = make_doc(text, [(0, 6, "DISORDER"), (7, 10, "DISORDER")])
    doc.spans["all"] = [doc.char_span(0, 10, label="DISORDER"), doc.char_span(0, 6, label="DISORDER")]
    docs, report = project([doc], span_keys=["all"])
    out = docs[0]
    assert ents_of(out) == [("Fever", "DISORDER"), ("cough", "DISORDER")]
    assert [(s.text, s.label_) for s in out.spans["all"]] == [("Fever", "DISORDER"), ("Fever cough", "DISORDER")]
    assert report.placed == 3


def test_adjacent_entities_without_space_get_token_boundaries():
    class Glue(DictTranslator):
        def fix(self, text):
            return text.replace("</e1> <e2>", "</e1><e2>")

    docs, _ = project([make_doc("fiebre tos", [(0, 6, "DISORDER"), (7, 10, "DISORDER")])], Glue())
    # the glued words are kept apart rather than merged into one token
    assert ents_of(docs[0]) == [("fever", "DISORDER"), ("cough", "DISORDER")]


def test_entity_crossing_sentence_boundary_merges_sentences():
    doc = make_doc("Dolor en. La mano derecha.", [(6, 17, "ANATOMY")], sents={0, 10})
    docs, report = project([doc])
    assert report.merged_sentences == 1 and report.units == 1 and report.sentences == 2
    assert ents_of(docs[0]) == [("in. The hand", "ANATOMY")]
    assert len(list(docs[0].sents)) == 1


def test_overlapping_fallback_placements_are_resolved_and_counted():
    # both entities translate to "pain"; only one "pain" exists in the sentence
    class OnePain(DropMarkers):
        def fix(self, text):
            return super().fix(text).replace("pain and pain", "pain")

    doc = make_doc("dolor y dolor", [(0, 5, "DISORDER"), (8, 13, "DISORDER")])
    docs, report = project([doc], OnePain())
    assert ents_of(docs[0]) == [("pain", "DISORDER")]
    # the second one may not take the first one's place: it is lost, not stacked on it
    assert report.to_dict()["by_method"] == {"fallback-exact": 1, "lost": 1}


def test_very_long_sentence():
    words = ["fiebre"] * 3000
    text = " ".join(words) + " dolor"
    doc = make_doc(text, [(len(text) - 5, len(text), "DISORDER"), (0, 6, "DISORDER")])
    docs, report = project([doc])
    assert ents_of(docs[0])[0] == ("fever", "DISORDER") and ents_of(docs[0])[-1] == ("pain", "DISORDER")
    assert report.placed == 2


def test_plain_text_mode():
    doc = make_doc("Dolor en la mano.", [(0, 5, "DISORDER"), (12, 16, "ANATOMY")])
    docs, report = project([doc], Reorder(), text_from="plain")
    assert docs[0].text == "Pain in the hand."  # the unmarked translation, not "in the hand Pain."
    assert ents_of(docs[0]) == [("Pain", "DISORDER"), ("hand", "ANATOMY")]
    assert report.to_dict()["by_method"] == {"marker": 2}

    class MarkedDiffers(DictTranslator):
        # markers change the wording: the marker's words are not in the plain translation
        def fix(self, text):
            return text.replace("Pain", "Ache") if "<e" in text else text

    docs, report = project([doc], MarkedDiffers(), text_from="plain")
    assert ents_of(docs[0]) == [("Pain", "DISORDER"), ("hand", "ANATOMY")]
    assert report.to_dict()["by_method"] == {"marker": 1, "fallback-exact": 1}


def test_unsupported_pair_and_bad_arguments():
    with pytest.raises(UnsupportedLanguagePair):
        Projector(DictTranslator(), src_lang="fr", tgt_lang="en")([])
    with pytest.raises(ValueError):
        Projector(DictTranslator(), src_lang="en", tgt_lang="en")
    with pytest.raises(ValueError):
        Projector(DictTranslator(), src_lang="es", tgt_lang="en", text_from="other")
    french = make_doc("Fiebre.", [])
    set_meta(french, lang="fr")
    with pytest.raises(ValueError, match="not the source language"):
        project([french])


def test_batching_and_deduplication():
    translator = DictTranslator()
    docs = [make_doc("Fiebre y tos.", [(0, 6, "DISORDER")], doc_id=str(i)) for i in range(5)]
    out, report = project(docs, translator, batch_size=2)
    assert translator.calls == [["<e1>Fiebre</e1> y tos."]]  # five identical sentences, one call
    assert report.placed == 5 and len(out) == 5


@pytest.mark.apertium
def test_apertium_markers_survive():
    if shutil.which("apertium") is None:
        pytest.skip("apertium binary not installed")
    from clinner_spacy.translate.apertium import ApertiumTranslator

    doc = make_doc(TEXT, GOLD, sents={0, 38})
    docs, report = project([doc], ApertiumTranslator())
    assert report.placed == 3, report.to_markdown()
    assert report.to_dict()["by_method"].get("marker") == 3
    assert "ache" in docs[0].ents[0].text or "pain" in docs[0].ents[0].text
