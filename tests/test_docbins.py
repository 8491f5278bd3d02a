"""read_docs / write_docs: the one way .spacy files are read and written."""
import pytest
import spacy

from clinner_spacy.docbins import read_docs, write_docs
from clinner_spacy.util import get_meta, set_meta


def _docs(nlp, n=3):
    docs = []
    for i in range(n):
        doc = nlp(f"Patient {i} has fever.")
        doc.ents = [doc.char_span(doc.text.index("fever"), doc.text.index("fever") + 5, label="DISORDER")]
        docs.append(set_meta(doc, doc_id=f"d{i}", annotated_labels=["DISORDER"]))
    return docs


def test_round_trip_keeps_metadata_and_entities(tmp_path):
    nlp = spacy.blank("en")
    path = tmp_path / "nested" / "dir" / "docs.spacy"
    # a generator is consumed as it goes; the parent folder is created
    assert write_docs((doc for doc in _docs(nlp)), path) == 3
    docs = read_docs(path, nlp.vocab)
    assert [get_meta(d, "doc_id") for d in docs] == ["d0", "d1", "d2"]
    assert [[(e.text, e.label_) for e in d.ents] for d in docs] == [[("fever", "DISORDER")]] * 3
    # without a vocab, a fresh one
    assert [d.text for d in read_docs(path)] == [d.text for d in docs]


def test_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.spacy"):
        read_docs(tmp_path / "missing.spacy")
    with pytest.raises(FileNotFoundError, match="no such DocBin"):
        read_docs(tmp_path)
    bad = tmp_path / "bad.spacy"
    bad.write_bytes(b"not a DocBin")
    with pytest.raises(ValueError, match="bad.spacy: not a readable spaCy DocBin"):
        read_docs(bad)


def test_empty(tmp_path):
    assert write_docs([], tmp_path / "empty.spacy") == 0
    assert read_docs(tmp_path / "empty.spacy") == []
