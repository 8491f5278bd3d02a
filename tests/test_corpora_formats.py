"""Readers, validation, overlap policy and conversion on small inline excerpts of each format.

The excerpts copy the real files' structure (E3C WebAnno XMI, BRAT .ann, TEMIST TSV), shortened.
"""
import json
from pathlib import Path

import pytest
from spacy.tokens import DocBin
from spacy.vocab import Vocab

from clinner_spacy.corpora.base import CorpusFormatError, RawDocument, RawSpan
from clinner_spacy.corpora.brat import parse_ann, read_brat_dir
from clinner_spacy.corpora.build import convert_corpus
from clinner_spacy.corpora.convert import convert_documents, validate
from clinner_spacy.corpora.e3c import parse_xmi
from clinner_spacy.corpora.io import read_text
from clinner_spacy.corpora.labelmap import LABELMAP_DIR, LabelMap, load_labelmap
from clinner_spacy.corpora.policy import ALL_SPANS_KEY
from clinner_spacy.corpora.registry import CORPORA, get_corpus
from clinner_spacy.corpora.report import ConversionReport
from clinner_spacy.corpora.spaccc import read_mention_tsv
from clinner_spacy.corpora.splits import carve
from clinner_spacy.corpora.stats import corpus_stats, stats_tables
from clinner_spacy.schema import LABELS
from clinner_spacy.util import get_meta

XMI_TEXT = "He had periorbital and facial oedema. The knee joint was swollen."
XMI = """<?xml version="1.0" encoding="UTF-8"?><xmi:XMI xmlns:tcas="http:///uima/tcas.ecore" xmlns:xmi="http://www.omg.org/XMI" xmlns:cas="http:///uima/cas.ecore" xmlns:type4="http:///de/tudarmstadt/ukp/dkpro/core/api/segmentation/type.ecore" xmlns:custom="http:///webanno/custom.ecore" xmi:version="2.0">
    <cas:NULL xmi:id="0"/>
    <type4:Sentence xmi:id="8235" sofa="12" begin="0" end="37"/>
    <type4:Sentence xmi:id="8240" sofa="12" begin="38" end="65"/>
    <custom:CLINENTITY xmi:id="8968" sofa="12" begin="7" end="36" discontinuous="DISCONTINUOUS" entityID="C0151205"/>
    <custom:CLINENTITY xmi:id="8975" sofa="12" begin="23" end="36" entityID="C0542571"/>
    <custom:CLINENTITY xmi:id="8982" sofa="12" begin="42" end="64" discontinuous="C0000737"/>
    <custom:BODYPART xmi:id="9178" sofa="12" begin="42" end="52" eventiveValue="N/A"/>
    <custom:EVENT xmi:id="7770" sofa="12" begin="57" end="64" TLINK="9559" polarity="POS"/>
    <custom:EVENTTLINKLink xmi:id="9559" role="BEFORE" target="7815"/>
    <custom:METADATA xmi:id="10680" sofa="12" begin="0" end="0" docName="EN000001"/>
    <cas:Sofa xmi:id="12" sofaNum="1" sofaID="_InitialView" mimeType="text" sofaString="{text}"/>
    <cas:View sofa="12" members="8235 8240 8968 8975 8982 9178 7770 9559 10680"/>
</xmi:XMI>
"""
ANN = "T1\tENFERMEDAD 0 8\tDiabetes\nT2\tENFERMEDAD 0 8;20 27\tDiabetes tipo II\n#1\tAnnotatorNotes T1\t123\nR1\tRel Arg1:T1 Arg2:T2\n"
ANN_TEXT = "Diabetes mellitus y tipo II sin control."


def e3c_labelmap() -> LabelMap:
    return load_labelmap("e3c")


def test_labelmaps_load_and_use_schema_labels():
    for path in sorted(LABELMAP_DIR.glob("*.json")):
        lm = load_labelmap(str(path))
        assert set(lm.map.values()) <= set(LABELS), path.name
        assert set(lm.annotated_labels) <= set(LABELS), path.name
        assert not set(lm.map) & set(lm.ignore), path.name
    assert load_labelmap("pharmaconer").map["NO_NORMALIZABLES"] == "DRUG"
    assert load_labelmap("e3c").map == {"CLINENTITY": "DISORDER", "BODYPART": "ANATOMY"}


def test_registry_names_and_labelmaps():
    for name in ("e3c-en", "e3c-es", "e3c-fr", "e3c-en-silver", "distemist", "symptemist", "medprocner", "pharmaconer"):
        spec = get_corpus(name)
        load_labelmap(spec.labelmap)
        assert callable(spec.load_reader())
    assert {"ncbi-disease", "bc5cdr", "neurotrialner", "dialogue-gold"} <= set(CORPORA)
    with pytest.raises(KeyError, match="known"):
        get_corpus("no-such-corpus")


def test_e3c_xmi_reader_and_policy(tmp_path):
    path = tmp_path / "EN000001.xml"
    path.write_text(XMI.replace("{text}", XMI_TEXT), encoding="utf-8")
    raw = parse_xmi(path, doc_id="EN000001", corpus="e3c-en", lang="en", split="train")
    assert raw.text == XMI_TEXT
    assert raw.sent_starts == [0, 38]
    assert sorted(s.label for s in raw.spans) == ["BODYPART", "CLINENTITY", "CLINENTITY", "CLINENTITY", "EVENT"]
    # Only the value DISCONTINUOUS marks a whole-extent discontinuous mention, not a stray CUI.
    assert raw.extra["discontinuous_whole_labels"] == ["CLINENTITY"]
    report = ConversionReport("e3c-en", "en")
    (doc,) = convert_documents([raw], lang="en", labelmap=e3c_labelmap(), report=report)
    assert [(e.text, e.label_) for e in doc.ents] == [
        ("periorbital and facial oedema", "DISORDER"),
        ("knee joint was swollen", "DISORDER"),
    ]
    assert len(doc.spans[ALL_SPANS_KEY]) == 4
    assert [s.text for s in doc.sents] == ["He had periorbital and facial oedema.", "The knee joint was swollen."]
    changes = report.changes["train"]
    assert changes["DISORDER"]["overlap_dropped"] == 1
    assert changes["ANATOMY"]["overlap_dropped"] == 1
    assert changes["DISORDER"]["discontinuous_kept_whole"] == 1
    assert report.ignored["train"]["EVENT"] == 1
    assert report.dropped("train", "DISORDER") == 1
    assert get_meta(doc, "annotated_labels") == ["DISORDER", "ANATOMY"]
    assert get_meta(doc, "doc_id") == "EN000001" and get_meta(doc, "split") == "train"


def test_e3c_invalid_xml_names_file_and_line(tmp_path):
    path = tmp_path / "EN000002.xml"
    path.write_text(XMI.replace("{text}", XMI_TEXT).replace('end="37"/>', 'end="37">'), encoding="utf-8")
    with pytest.raises(CorpusFormatError, match=r"EN000002\.xml:line 14, column 2: invalid XML: mismatched tag$"):
        parse_xmi(path, doc_id="EN000002", corpus="e3c-en", lang="en", split="train")


def test_e3c_unknown_label(tmp_path):
    path = tmp_path / "EN000003.xml"
    path.write_text(XMI.replace("{text}", XMI_TEXT).replace("custom:BODYPART", "custom:ORGAN"), encoding="utf-8")
    raw = parse_xmi(path, doc_id="EN000003", corpus="e3c-en", lang="en", split="train")
    with pytest.raises(CorpusFormatError, match=r"EN000003\.xml:ORGAN xmi:id=9178: unknown label 'ORGAN'"):
        validate(raw, e3c_labelmap())


def test_brat_discontinuous_notes_and_relations(tmp_path):
    spans, ignored = parse_ann(ANN, tmp_path / "x.ann")
    assert spans[1].fragments == [(0, 8), (20, 27)] and spans[1].is_discontinuous
    assert ignored == {"brat note (#)": 1, "brat relation (R)": 1}
    (tmp_path / "S1.txt").write_text(ANN_TEXT, encoding="utf-8")
    (tmp_path / "S1.ann").write_text(ANN, encoding="utf-8")
    (raw,) = read_brat_dir(tmp_path, corpus="distemist", lang="es")
    report = ConversionReport("distemist", "es")
    (doc,) = convert_documents([raw], lang="es", labelmap=load_labelmap("distemist"), report=report)
    # The discontinuous mention became its first fragment, a duplicate of T1.
    assert [(e.text, e.label_) for e in doc.ents] == [("Diabetes", "DISORDER")]
    assert report.changes["train"]["DISORDER"] == {"discontinuous_truncated": 1, "duplicate_dropped": 1}
    assert report.ignored["train"] == {"brat note (#)": 1, "brat relation (R)": 1}


@pytest.mark.parametrize(
    "ann,match",
    [
        ("T1\tENFERMEDAD 30 45\tcontrol.", r"S1\.ann:line 1: offsets 30-45 run past the end"),
        ("T1\tENFERMEDAD 0 8\tDiabetis", r"S1\.ann:line 1: span text 'Diabetis' does not match"),
        ("T1\tENFERMEDAD 0 8\tDiabetes\nT2\tPROTEINA 9 17\tmellitus", r"S1\.ann:line 2: unknown label 'PROTEINA'"),
        ("T1\tENFERMEDAD 0 x\tDiabetes", r"S1\.ann:line 1: non-integer offsets"),
        ("T1\tENFERMEDAD 8 0\tDiabetes", r"S1\.ann:line 1: bad offsets 8-0"),
        ("X1\tfoo", r"S1\.ann:line 1: unknown BRAT annotation kind"),
    ],
)
def test_brat_malformed(tmp_path, ann, match):
    (tmp_path / "S1.txt").write_text(ANN_TEXT, encoding="utf-8")
    (tmp_path / "S1.ann").write_text(ann, encoding="utf-8")
    with pytest.raises(CorpusFormatError, match=match):
        for raw in read_brat_dir(tmp_path, corpus="distemist", lang="es"):
            validate(raw, load_labelmap("distemist"))


def test_non_utf8_names_byte_offset(tmp_path):
    path = tmp_path / "S1.txt"
    path.write_bytes("Diabetes ".encode("utf-8") + "tipo II, año".encode("latin-1"))
    with pytest.raises(CorpusFormatError, match=r"S1\.txt:byte 19 \(line 1\): not valid UTF-8"):
        read_text(path)


def test_empty_document_error_and_counted_skip():
    raws = [
        RawDocument("d1", "   \n", [], corpus="distemist", lang="es", path="d1.txt"),
        RawDocument("d2", "Fiebre alta.", [RawSpan(0, 6, "ENFERMEDAD", text="Fiebre")], corpus="distemist", lang="es"),
    ]
    labelmap = load_labelmap("distemist")
    with pytest.raises(CorpusFormatError, match=r"d1\.txt:document d1: empty document"):
        list(convert_documents(raws, lang="es", labelmap=labelmap, report=ConversionReport("distemist")))
    report = ConversionReport("distemist")
    docs = list(convert_documents(raws, lang="es", labelmap=labelmap, report=report, skip_invalid=True))
    assert [get_meta(d, "doc_id") for d in docs] == ["d2"]
    assert report.skipped == [{"doc_id": "d1", "path": "d1.txt", "split": "train", "reason": "d1.txt:document d1: empty document (no text)"}]
    assert "Skipped documents: 1" in report.to_markdown()


def test_policy_overlap_ties_boundaries_and_whitespace():
    text = "Dolor abdominal y fiebre en el brazo izquierdo."
    spans = [
        RawSpan(0, 15, "ENFERMEDAD"),  # "Dolor abdominal"
        RawSpan(6, 24, "ENFERMEDAD"),  # "abdominal y fiebre", longer: wins
        RawSpan(18, 24, "NORMALIZABLES"),  # "fiebre" as DRUG, nested: dropped
        RawSpan(31, 36, "NORMALIZABLES"),  # "brazo" as DRUG, tie with ...
        RawSpan(31, 36, "ENFERMEDAD"),  # ... the same span as DISORDER: DISORDER first in LABELS
        RawSpan(38, 44, "ENFERMEDAD"),  # "izquie": inside a token, expanded to "izquierdo"
        RawSpan(27, 30, "ENFERMEDAD"),  # " el": whitespace trimmed to "el"
    ]
    labelmap = LabelMap(corpus="t", map={"ENFERMEDAD": "DISORDER", "NORMALIZABLES": "DRUG"}, annotated_labels=["DISORDER", "DRUG"])
    report = ConversionReport("t")
    (doc,) = convert_documents([RawDocument("d", text, spans, "t", "es")], lang="es", labelmap=labelmap, report=report)
    assert [(e.text, e.label_) for e in doc.ents] == [
        ("abdominal y fiebre", "DISORDER"),
        ("el", "DISORDER"),
        ("brazo", "DISORDER"),
        ("izquierdo", "DISORDER"),
    ]
    assert report.changes["train"]["DISORDER"] == {"overlap_dropped": 1, "boundary_expanded": 1, "whitespace_trimmed": 1}
    assert report.changes["train"]["DRUG"] == {"overlap_dropped": 2}
    assert len(doc.spans[ALL_SPANS_KEY]) == 7


def test_tsv_mentions_quoting_and_columns(tmp_path):
    path = tmp_path / "m.tsv"
    path.write_text(
        "filename\tann_id\tlabel\tstart_span\tend_span\ttext\n"
        'es-S1\tT1\tSINTOMA\t0\t27\t"dolor en forma de ""pinchazos"""\n'
        'es-S1\tT2\tSINTOMA\t30\t50\tcarcinoma "in situ" x\n',
        encoding="utf-8",
    )
    mentions = read_mention_tsv(path)
    assert [s.text for s in mentions["es-S1"]] == ['dolor en forma de "pinchazos"', 'carcinoma "in situ" x']
    path.write_text("filename\tmark\tlabel\toff0\toff1\tspan\nes-S1\tT1\tSINTOMA\t0\n", encoding="utf-8")
    with pytest.raises(CorpusFormatError, match=r"m\.tsv:line 2: expected 6 tab-separated columns, got 4"):
        read_mention_tsv(path)


def test_carve_is_seeded_and_by_document():
    ids = [f"doc{i}" for i in range(50)]
    a = carve(ids, dev_fraction=0.2, test_fraction=0.2, seed=0)
    assert a == carve(list(reversed(ids)), dev_fraction=0.2, test_fraction=0.2, seed=0)
    assert a != carve(ids, dev_fraction=0.2, test_fraction=0.2, seed=1)
    counts = {s: list(a.values()).count(s) for s in ("train", "dev", "test")}
    assert counts == {"train": 32, "dev": 8, "test": 10}
    with pytest.raises(ValueError):
        carve(ids, dev_fraction=1.5)


def _pharmaconer_dir(root: Path) -> Path:
    data = root / "data"
    for i, split in enumerate(("train", "dev", "test")):
        folder = data / "spaccc" / "pharmaconer" / split
        folder.mkdir(parents=True)
        # one text per split: the same text in two splits is an error (convert.check_split_leak)
        (folder / f"S{i}.txt").write_text(f"{('Se', 'Le', 'Me')[i]} pautó paracetamol y PSA.", encoding="utf-8")
        (folder / f"S{i}.ann").write_text(
            "T1\tNORMALIZABLES 9 20\tparacetamol\n#1\tAnnotatorNotes T1\t387517004\nT2\tPROTEINAS 23 26\tPSA\n",
            encoding="utf-8",
        )
    (data / "spaccc" / "pharmaconer" / "train" / "S9.txt").write_text("Sin tratamiento.", encoding="utf-8")
    (data / "spaccc" / "pharmaconer" / "train" / "S9.ann").write_text("T1\tNORMALIZABLES 4 15\tpartamiento\n", encoding="utf-8")
    return data


def test_convert_corpus_writes_docbins_report_and_stats(tmp_path):
    data = _pharmaconer_dir(tmp_path)
    out = tmp_path / "corpus"
    with pytest.raises(CorpusFormatError, match=r"S9\.ann:line 1: span text 'partamiento'"):
        convert_corpus("pharmaconer", data_dir=data, output_dir=out)
    report = convert_corpus("pharmaconer", data_dir=data, output_dir=out, skip_invalid=True)
    assert sorted(p.name for p in (out / "pharmaconer").iterdir()) == ["dev.spacy", "report.json", "report.md", "test.spacy", "train.spacy"]
    assert [s["doc_id"] for s in report.skipped] == ["S9"]
    docs = list(DocBin().from_disk(out / "pharmaconer" / "train.spacy").get_docs(Vocab()))
    assert [(e.text, e.label_) for e in docs[0].ents] == [("paracetamol", "DRUG")]
    meta = get_meta(docs[0])
    # msgpack (DocBin user data) gives the list back as a tuple
    assert list(meta.pop("annotated_labels")) == ["DRUG"]
    assert meta == {"corpus": "pharmaconer", "doc_id": "S0", "lang": "es", "split": "train"}
    stats = corpus_stats(out / "pharmaconer")
    assert stats["splits"]["train"] == {"documents": 1, "sentences": 1, "tokens": 6, "entities": {"DRUG": 1}}
    assert stats["report"].ignored["dev"] == {"PROTEINAS": 1, "brat note (#)": 1}
    titles = [t[0] for t in stats_tables(stats)]
    assert titles[0] == "Corpus" and titles[-1] == "Skipped documents: 1"
    assert json.loads((out / "pharmaconer" / "report.json").read_text())["skipped"][0]["doc_id"] == "S9"
    with pytest.raises(FileExistsError, match="--force"):
        convert_corpus("pharmaconer", data_dir=data, output_dir=out, skip_invalid=True)
    convert_corpus("pharmaconer", data_dir=data, output_dir=out, skip_invalid=True, force=True)


def test_cli_convert_and_stats(tmp_path):
    from typer.testing import CliRunner

    from clinner_spacy.cli import corpora  # noqa: F401  registers the commands
    from clinner_spacy.cli.app import app

    data = _pharmaconer_dir(tmp_path)
    out = tmp_path / "corpus"
    runner = CliRunner()
    args = ["convert", "pharmaconer", "--data-dir", str(data), "--output", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and "span text 'partamiento'" in result.output
    result = runner.invoke(app, args + ["--skip-invalid"])
    assert result.exit_code == 0, result.output
    assert "1 invalid document(s) skipped" in result.output
    result = runner.invoke(app, ["stats", str(out / "pharmaconer")])
    assert result.exit_code == 0, result.output
    assert "PROTEINAS" in result.output and "DRUG" in result.output


def test_e3c_utf16_offsets_outside_bmp(tmp_path):
    # UIMA offsets count UTF-16 code units: an emoji takes two, a Python str index one.
    text = "Dolor \U0001F600 torácico."
    path = tmp_path / "ES000001.xml"
    body = XMI.replace("{text}", text).replace('begin="42" end="52"', 'begin="9" end="17"')
    path.write_text(body, encoding="utf-8")
    raw = parse_xmi(path, doc_id="ES000001", corpus="e3c-es", lang="es", split="train")
    (bodypart,) = [s for s in raw.spans if s.label == "BODYPART"]
    assert text[bodypart.start : bodypart.end] == "torácico"
