"""clinner extra-data: annotation layers of one text merged, texts of the test corpora removed."""
import json

import spacy
from spacy.tokens import DocBin
from typer.testing import CliRunner

from clinner_spacy.cli.app import load_commands
from clinner_spacy.corpora.overlap import OverlapIndex, shingles
from clinner_spacy.project.extra_data import build_extra_data, merge_layers
from clinner_spacy.util import get_meta, set_meta

NLP = spacy.blank("es")
CASE = "Paciente de 60 años con fiebre alta y dolor abdominal intenso desde hace tres días en casa."
OTHER = "Mujer de 45 años que consulta por cefalea persistente y náuseas sin vómitos desde ayer por la tarde."
TEST = "Varón de 70 años con disnea de esfuerzo y edema en ambas piernas que empeora por la noche sin fiebre."


def make_doc(text, spans, corpus, doc_id):
    doc = NLP.make_doc(text)
    ents = [doc.char_span(text.index(s), text.index(s) + len(s), label="DISORDER") for s in spans]
    doc.set_ents(ents, default="outside")
    return set_meta(doc, corpus=corpus, doc_id=doc_id, annotated_labels=("DISORDER",))


def write(path, docs):
    path.parent.mkdir(parents=True, exist_ok=True)
    db = DocBin(store_user_data=True)
    for d in docs:
        db.add(d)
    db.to_disk(path)


def test_merge_layers_unites_spans_and_counts_overlaps():
    diseases = make_doc(CASE, ["fiebre alta"], "distemist", "c1")
    symptoms = make_doc(CASE, ["fiebre", "dolor abdominal intenso"], "symptemist", "c1")
    merged, stats = merge_layers([diseases, symptoms, make_doc(OTHER, ["cefalea"], "distemist", "c2")])
    assert len(merged) == 2 and stats["merged"] == 1
    assert [e.text for e in merged[0].ents] == ["fiebre alta", "dolor abdominal intenso"]
    assert stats["overlap_dropped"] == 1  # "fiebre" inside "fiebre alta"
    assert get_meta(merged[0], "corpus") == "distemist+symptemist"


def test_overlap_index_finds_a_lightly_edited_text():
    index = OverlapIndex([("t1", TEST)])
    match, share = index.best_match(TEST.replace("noche", "noche.") + " Sin antecedentes.")
    assert match == "t1" and share > 0.5
    assert index.best_match(OTHER) == (None, 0.0)
    assert shingles("dos palabras") == {"dos palabras"}


def test_build_extra_data_removes_test_texts_and_refuses_to_overwrite(tmp_path):
    corpus = tmp_path / "corpus"
    for split, docs in {"train": [make_doc(CASE, ["fiebre"], "distemist", "c1")],
                        "dev": [make_doc(TEST, ["disnea"], "distemist", "c3")],
                        "test": [make_doc(OTHER, ["cefalea"], "distemist", "c2")]}.items():
        write(corpus / "distemist" / f"{split}.spacy", docs)
    for split in ("train", "dev"):
        write(corpus / "e3c-es" / f"{split}.spacy", [])
    write(corpus / "e3c-es" / "test.spacy", [make_doc(TEST, ["edema"], "e3c-es", "e3c-t1")])
    report = build_extra_data(corpus_dir=corpus, corpora=["distemist"], exclude=["e3c-es"], output_dir=tmp_path / "out")
    assert report["kept"] == 2 and report["excluded"] == 1
    assert report["excluded_documents"][0]["doc_id"] == "c3"
    assert report["excluded_documents"][0]["matches"] == "e3c-t1"
    kept = list(DocBin().from_disk(tmp_path / "out" / "train.spacy").get_docs(NLP.vocab))
    assert sorted(d.text for d in kept) == sorted([CASE, OTHER])
    assert json.loads((tmp_path / "out" / "report.json").read_text())["kept"] == 2
    args = ["extra-data", "--corpus-dir", str(corpus), "--corpora", "distemist", "--exclude", "e3c-es",
            "--output", str(tmp_path / "out")]
    result = CliRunner().invoke(load_commands(), args)
    assert result.exit_code == 1 and "--force" in result.output
    assert CliRunner().invoke(load_commands(), args + ["--force"]).exit_code == 0
    missing = CliRunner().invoke(load_commands(), args[:4] + ["nope"] + args[5:] + ["--force"])
    assert missing.exit_code == 1 and "nope" in missing.output
