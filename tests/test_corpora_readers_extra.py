"""Readers for NCBI-disease, BC5CDR (CoNLL/IOB), NeuroTrialNER (JSON) and the dialogue gold JSONL."""
import json
from pathlib import Path

import pytest

from clinner_spacy.corpora.base import CorpusFormatError
from clinner_spacy.corpora.conll import read_bc5cdr, read_ncbi_disease
from clinner_spacy.corpora.dialogue_gold import read_dialogue_gold
from clinner_spacy.corpora.iob import align_words, decode_iob, read_iob_file
from clinner_spacy.corpora.labelmap import load_labelmap
from clinner_spacy.corpora.neurotrialner import read_neurotrialner

# Excerpts of the real files (ncbi_disease/standoff/train/10021369.*, conll/train.tsv).
NCBI_TEXT = (
    "Identification of APC2, a homologue of the adenomatous polyposis coli tumour suppressor.\n"
    "Colon carcinoma cells.\n"
)
NCBI_ANN = "T1\tModifier 43 76\tadenomatous polyposis coli tumour\nN1\tReference T1 MeSH:D011125\n" \
           "T2\tSpecificDisease 89 101\tColon carcin\n"
NCBI_CONLL = (
    "Identification\tO\nof\tO\nAPC2\tO\n,\tO\na\tO\nhomologue\tO\nof\tO\nthe\tO\n"
    "adenomatous\tB-Disease\npolyposis\tI-Disease\ncoli\tI-Disease\ntumour\tI-Disease\n"
    "suppressor\tO\n.\tO\n\nColon\tB-Disease\ncarcinoma\tI-Disease\ncells\tO\n.\tO\n\n"
)
OTHER_TEXT = "Breast cancer.\n"
OTHER_ANN = "T1\tSpecificDisease 0 13\tBreast cancer\n"
OTHER_CONLL = "Breast\tB-Disease\ncancer\tI-Disease\n.\tO\n\n"

BC5CDR_IOB = (
    "Selegiline\tB-Chemical\n-\tO\ninduced\tO\npostural\tB-Disease\nhypotension\tI-Disease\n.\tO\n\n"
    "The\tO\nParkinson\tI-Disease\n'\tI-Disease\ns\tI-Disease\n.\tO\n\n"
)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf8")
    return path


@pytest.fixture
def ncbi_dir(tmp_path):
    for stem, docs in (("train", [("10021369", NCBI_TEXT, NCBI_ANN, NCBI_CONLL), ("2000", OTHER_TEXT, OTHER_ANN,
                                                                                  OTHER_CONLL)]),
                       ("devel", [("3000", OTHER_TEXT, OTHER_ANN, OTHER_CONLL)]),
                       ("test", [("4000", OTHER_TEXT, OTHER_ANN, OTHER_CONLL)])):
        conll = ""
        for pmid, text, ann, part in docs:
            _write(tmp_path / "standoff" / stem / f"{pmid}.txt", text)
            _write(tmp_path / "standoff" / stem / f"{pmid}.ann", ann)
            conll += part
        _write(tmp_path / "conll" / f"{stem}.tsv", conll)
    return tmp_path


def _rebuild(doc) -> str:
    return "".join(w + (" " if s else "") for w, s in zip(doc.words, doc.spaces))


def test_iob_decode_repairs_orphan_i():
    spans = decode_iob(["O", "I-Disease", "I-Disease", "B-Chemical", "I-Disease", "O"])
    assert [(s.start, s.end, s.label, s.repaired) for s in spans] == [
        (1, 3, "Disease", True),
        (3, 4, "Chemical", False),
        (4, 5, "Disease", True),
    ]


def test_iob_file_errors_name_file_and_line(tmp_path):
    bad_tag = _write(tmp_path / "a.tsv", "word\tO\nother\tE-Disease\n")
    with pytest.raises(CorpusFormatError, match=r"a\.tsv:2: unknown IOB tag"):
        read_iob_file(bad_tag)
    no_tag = _write(tmp_path / "b.tsv", "word\tO\n\nlonely\n")
    with pytest.raises(CorpusFormatError, match=r"b\.tsv:3: expected TOKEN<TAB>TAG"):
        read_iob_file(no_tag)
    with pytest.raises(CorpusFormatError, match="file not found"):
        read_iob_file(tmp_path / "missing.tsv")


def test_align_words_keeps_text_exactly():
    text = "Title here.\nAbstract  two."
    starts, words, spaces = align_words(text, ["Title", "here", ".", "Abstract", "two", "."])
    assert starts == [0, 6, 10, 12, 22, 25]
    assert "\n" in words and "".join(w + (" " if s else "") for w, s in zip(words, spaces)) == text
    with pytest.raises(CorpusFormatError, match="does not match"):
        align_words(text, ["Title", "there"], where="x.txt")


def test_ncbi_reader(ncbi_dir):
    docs = list(read_ncbi_disease(ncbi_dir))
    assert [(d.doc_id, d.split) for d in docs] == [("10021369", "train"), ("2000", "train"), ("3000", "dev"),
                                                   ("4000", "test")]
    first = docs[0]
    assert _rebuild(first) == first.text == NCBI_TEXT
    assert [(s.text, s.label) for s in first.spans] == [
        ("adenomatous polyposis coli tumour", "Modifier"),
        # the .ann span ends inside a token: the IOB span wins, its type comes from the overlap
        ("Colon carcinoma", "SpecificDisease"),
    ]
    assert first.extra["type_from_overlap"] == 1 and first.extra["iob_repairs"] == 0
    assert first.sent_starts == [0, 89]
    assert all(d.corpus == "ncbi-disease" and d.lang == "en" for d in docs)


def test_ncbi_reader_token_mismatch(ncbi_dir):
    _write(ncbi_dir / "conll" / "devel.tsv", OTHER_CONLL.replace("cancer", "cancers"))
    with pytest.raises(CorpusFormatError, match=r"devel\.tsv:2: token 'cancers' does not match .*3000\.txt"):
        list(read_ncbi_disease(ncbi_dir))


def test_ncbi_reader_leftover_tokens(ncbi_dir):
    _write(ncbi_dir / "conll" / "test.tsv", OTHER_CONLL + "Extra\tO\n")
    with pytest.raises(CorpusFormatError, match="tokens left after the last standoff document"):
        list(read_ncbi_disease(ncbi_dir))


def test_bc5cdr_reader_sentences_are_documents(tmp_path):
    for stem in ("train", "devel", "test"):
        _write(tmp_path / "BC5CDR-IOB" / f"{stem}.tsv", BC5CDR_IOB)
    docs = list(read_bc5cdr(tmp_path))
    assert len(docs) == 6 and [d.split for d in docs[:3:2]] == ["train", "dev"]
    first, second = docs[0], docs[1]
    assert first.text == "Selegiline - induced postural hypotension ." == _rebuild(first)
    assert [(s.text, s.label) for s in first.spans] == [("Selegiline", "Chemical"), ("postural hypotension", "Disease")]
    assert [(s.text, s.label) for s in second.spans] == [("Parkinson ' s", "Disease")]
    assert second.extra["iob_repairs"] == 1 and second.extra["pseudo_document"]
    assert second.spans[0].source.endswith("train.tsv:9")


def _trial(nctid="NCT1", text="Aspirin for Migraine | A trial.", entities=None):
    if entities is None:
        entities = [{"start": 0, "end": 7, "text": "Aspirin", "type": "DRUG"},
                    {"start": 12, "end": 20, "text": "Migraine", "type": "CONDITION"}]
    return {"nctid": nctid, "text": text, "entities": entities, "tokens": "[]", "token_bio_labels": "[]"}


def _neuro_dir(tmp_path, train):
    base = tmp_path / "data" / "annotated_data" / "bigbio"
    _write(base / "train.json", train if isinstance(train, str) else json.dumps(train))
    _write(base / "dev.json", json.dumps([_trial("NCT2")]))
    _write(base / "test.json", json.dumps([_trial("NCT3")]))
    return tmp_path


def test_neurotrialner_reader(tmp_path):
    docs = list(read_neurotrialner(_neuro_dir(tmp_path, [_trial()])))
    assert [(d.doc_id, d.split) for d in docs] == [("NCT1", "train"), ("NCT2", "dev"), ("NCT3", "test")]
    assert [(s.start, s.end, s.label) for s in docs[0].spans] == [(0, 7, "DRUG"), (12, 20, "CONDITION")]


@pytest.mark.parametrize(
    "train,message",
    [
        ('[{"nctid": "NCT1",\n "text": }]', r"train\.json:2:\d+: invalid JSON"),
        ([_trial(entities=[{"start": 0, "end": 99, "text": "x", "type": "DRUG"}])],
         r"train\.json:record 0 \(NCT1\) entity 0: offsets 0-99 outside text"),
        ([_trial(entities=[{"start": 0, "end": 7, "text": "Aspirim", "type": "DRUG"}])],
         r"entity 0: span text 'Aspirim' does not match"),
        ([_trial(), _trial()], "duplicate nctid NCT1"),
        ([_trial(text="  ")], "empty text"),
    ],
)
def test_neurotrialner_errors(tmp_path, train, message):
    with pytest.raises(CorpusFormatError, match=message):
        list(read_neurotrialner(_neuro_dir(tmp_path, train)))


def _dialogue(id_="mts-train-0", text="Doctor: Any fever?\r\nPatient: My knee hurts.", entities=None):
    ents = [[12, 17, "DISORDER"], [32, 36, "ANATOMY"]] if entities is None else entities
    return json.dumps({"id": id_, "source": "test", "text": text, "entities": ents})


def test_dialogue_gold_reader(tmp_path):
    _write(tmp_path / "train.jsonl", _dialogue() + "\n")
    _write(tmp_path / "dev.jsonl", _dialogue("mts-dev-1") + "\n\n")
    docs = list(read_dialogue_gold(tmp_path))
    assert [(d.doc_id, d.split) for d in docs] == [("mts-train-0", "train"), ("mts-dev-1", "dev")]
    assert [(s.text, s.label) for s in docs[0].spans] == [("fever", "DISORDER"), ("knee", "ANATOMY")]
    assert docs[0].text.count("\r\n") == 1  # CRLF kept: offsets count it as two characters


@pytest.mark.parametrize(
    "lines,message",
    [
        ([_dialogue(), '{"id": "x", "text": "broken'], r"train\.jsonl:2:\d+: invalid JSON"),
        ([_dialogue(entities=[[12, 99, "DISORDER"]])], r"train\.jsonl:1 entity 0: offsets 12-99 outside text"),
        ([_dialogue(entities=[[11, 17, "DISORDER"]])], r"train\.jsonl:1 entity 0: span ' fever' has surrounding"),
        ([_dialogue(entities=[[12, "17", "DISORDER"]])], r"expected \[start, end, label\]"),
        ([_dialogue(), _dialogue()], r"train\.jsonl:2: duplicate id"),
    ],
)
def test_dialogue_gold_errors(tmp_path, lines, message):
    _write(tmp_path / "train.jsonl", "\n".join(lines) + "\n")
    with pytest.raises(CorpusFormatError, match=message):
        list(read_dialogue_gold(tmp_path))


def test_dialogue_gold_needs_a_file(tmp_path):
    with pytest.raises(CorpusFormatError, match="no train/dev/test"):
        list(read_dialogue_gold(tmp_path))


@pytest.mark.parametrize(
    "name,upstream,annotated",
    [
        ("ncbi-disease", ["SpecificDisease", "DiseaseClass", "Modifier", "CompositeMention"], ["DISORDER"]),
        ("bc5cdr", ["Disease", "Chemical"], ["DISORDER"]),
        ("neurotrialner", ["CONDITION", "DRUG", "CONTROL", "BEHAVIOURAL", "SURGICAL", "PHYSICAL", "RADIOTHERAPY",
                           "OTHER"], ["DISORDER", "DRUG"]),
        ("dialogue-gold", ["DISORDER", "DRUG", "ANATOMY"], ["DISORDER", "DRUG", "ANATOMY"]),
    ],
)
def test_labelmaps_cover_upstream_labels(name, upstream, annotated):
    labelmap = load_labelmap(name)
    assert labelmap.corpus == name and labelmap.license and labelmap.notes
    assert sorted(labelmap.annotated_labels) == sorted(annotated)
    for label in upstream:
        assert label in labelmap.map or label in labelmap.ignore
    assert set(labelmap.map.values()) == set(annotated)


# Real files: documents and mentions per split (upstream counts: NCBI 593/100/100 abstracts
# with 5145/787/960 mentions; BC5CDR 9809 test phrases per its README's conlleval output).
REAL = {
    "ncbi_disease": (read_ncbi_disease, {"train": 593, "dev": 100, "test": 100}, {"train": 5145, "dev": 787,
                                                                                  "test": 960}),
    "bc5cdr": (read_bc5cdr, {"train": 4560, "dev": 4581, "test": 4797}, {"train": 9385, "dev": 9593, "test": 9809}),
    "neurotrialner": (read_neurotrialner, {"train": 787, "dev": 153, "test": 153}, {"train": 7081, "dev": 1568,
                                                                                    "test": 1444}),
    "dialogue/gold": (read_dialogue_gold, {"train": 75, "dev": 25}, {"train": 334, "dev": 113}),
}


@pytest.mark.data
@pytest.mark.parametrize("folder", sorted(REAL))
def test_real_corpus_counts(shared_data, folder):
    reader, n_docs, n_spans = REAL[folder]
    docs, spans = {}, {}
    for doc in reader(shared_data / folder):
        docs[doc.split] = docs.get(doc.split, 0) + 1
        spans[doc.split] = spans.get(doc.split, 0) + len(doc.spans)
        assert doc.lang == "en" and doc.text.strip()
        if doc.words is not None:
            assert _rebuild(doc) == doc.text
    # the test split of the dialogue gold set is kept apart; count it only where present
    if folder == "dialogue/gold" and "test" in docs:
        docs.pop("test"), spans.pop("test")
    assert docs == n_docs
    assert spans == n_spans
