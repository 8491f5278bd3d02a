"""Few-shot nested subsets (by document) and SamBD sentence down-sampling."""
import json

import pytest
import spacy
from spacy.tokens import Doc, DocBin, Span
from typer.testing import CliRunner

from clinner_spacy.corpora.sambd import sambd, sentence_units
from clinner_spacy.corpora.sampling import label_counts, nested_subsets, parse_ks, sample_docbin
from clinner_spacy.util import get_meta, set_meta

NLP = spacy.blank("en")


def _doc(doc_id, sentences):
    """sentences: list of (words, [(start, end, label)]) with token offsets inside the sentence."""
    words, ents, starts = [], [], []
    for sent_words, sent_ents in sentences:
        offset = len(words)
        starts.append(offset)
        words.extend(sent_words)
        ents.extend((offset + s, offset + e, label) for s, e, label in sent_ents)
    doc = Doc(NLP.vocab, words=words, sent_starts=[i in starts for i in range(len(words))])
    doc.ents = [Span(doc, s, e, label) for s, e, label in ents]
    return set_meta(doc, doc_id=doc_id, corpus="toy", annotated_labels=["DISORDER", "DRUG", "ANATOMY"])


def _corpus(n=12):
    return [_doc(f"d{i}", [(["fever", "and", "pain", "."], [(0, 1, "DISORDER"), (2, 3, "DISORDER")]),
                           (["took", "aspirin", "."], [(1, 2, "DRUG")] if i % 3 == 0 else [])]) for i in range(n)]


def test_parse_ks():
    assert parse_ks(["20", "5", "all", "10", "5"]) == [5, 10, 20, "all"]
    with pytest.raises(ValueError, match="positive integer or 'all'"):
        parse_ks(["0"])
    with pytest.raises(ValueError):
        parse_ks(["five"])


def test_subsets_are_nested_and_deterministic():
    docs = _corpus(12)
    subsets = nested_subsets(docs, [2, 5, 10, "all"], seed=3)
    ids = {k: [get_meta(d, "doc_id") for d in v] for k, v in subsets.items()}
    assert [len(ids[k]) for k in ("2", "5", "10", "all")] == [2, 5, 10, 12]
    assert set(ids["2"]) < set(ids["5"]) < set(ids["10"]) < set(ids["all"])
    # corpus order inside a subset
    assert ids["5"] == sorted(ids["5"], key=lambda x: int(x[1:]))
    again = nested_subsets(docs, [2, 5, 10, "all"], seed=3)
    assert ids == {k: [get_meta(d, "doc_id") for d in v] for k, v in again.items()}
    other = nested_subsets(docs, [5], seed=4)
    assert [get_meta(d, "doc_id") for d in other["5"]] != ids["5"]


def test_subset_larger_than_corpus_is_an_error():
    with pytest.raises(ValueError, match="more documents than the input has"):
        nested_subsets(_corpus(3), [5])


def test_sentence_units_merge_across_entities():
    doc = _doc("x", [(["a", "b"], []), (["c", "d"], [])])
    assert sentence_units(doc) == [(0, 2), (2, 4)]
    doc.ents = [Span(doc, 1, 3, "DISORDER")]
    assert sentence_units(doc) == [(0, 4)]


def test_sambd_balances_towards_rarest_label():
    docs = _corpus(12)  # DISORDER 24 mentions in 12 sentences, DRUG 4 in 4 sentences, 8 entity-free
    kept, report = sambd(docs, seed=0)
    assert report["labels_before"] == {"DISORDER": 24, "DRUG": 4}
    assert report["cap"] == 4
    # every DRUG sentence kept; DISORDER stops once it reached the cap (2 per sentence)
    assert report["labels_after"] == {"DISORDER": 4, "DRUG": 4}
    assert label_counts(kept) == report["labels_after"]
    assert report["sentences_before"] == 24
    # 6 of 16 entity sentences kept; entity-free sentences kept at about that rate
    assert report["sentences_after"] == 6 + report["entity_free_after"]
    assert all(get_meta(d, "source_doc_id").startswith("d") and "#s" in get_meta(d, "doc_id") for d in kept)
    assert all(get_meta(d, "annotated_labels") == ["DISORDER", "DRUG", "ANATOMY"] for d in kept)
    again, report2 = sambd(docs, seed=0)
    assert report2 == report and [d.text for d in again] == [d.text for d in kept]


def test_sample_docbin_and_cli(tmp_path):
    db = DocBin(store_user_data=True)
    for doc in _corpus(8):
        db.add(doc)
    db.to_disk(tmp_path / "train.spacy")
    manifest = sample_docbin(input_path=tmp_path / "train.spacy", output_dir=tmp_path / "out", ks=["2", "4", "all"],
                             seed=0, use_sambd=True)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "k2-sambd.spacy", "k2.spacy", "k4-sambd.spacy", "k4.spacy", "kall-sambd.spacy", "kall.spacy", "sample.json"]
    assert manifest["subsets"]["all"]["labels"] == {"DISORDER": 16, "DRUG": 3}
    docs = list(DocBin().from_disk(tmp_path / "out" / "k4.spacy").get_docs(NLP.vocab))
    assert len(docs) == 4 and get_meta(docs[0], "few_shot") == {"k": "4", "seed": 0}
    assert set(manifest["subsets"]["2"]["doc_ids"]) < set(manifest["subsets"]["4"]["doc_ids"])

    from clinner_spacy.cli.app import app, load_commands

    load_commands()
    result = CliRunner().invoke(app, ["sample", str(tmp_path / "train.spacy"), str(tmp_path / "cli"),
                                      "--k", "2", "4", "all", "--seed", "0"])
    assert result.exit_code == 0, result.output
    cli_manifest = json.loads((tmp_path / "cli" / "sample.json").read_text())
    assert {k: v["doc_ids"] for k, v in cli_manifest["subsets"].items()} == {
        k: v["doc_ids"] for k, v in manifest["subsets"].items()}
    bad = CliRunner().invoke(app, ["sample", str(tmp_path / "train.spacy"), str(tmp_path / "cli2"), "--k", "99"])
    assert bad.exit_code == 1 and "more documents" in bad.output
