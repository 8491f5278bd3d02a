"""Bad input, fed to the commands as a careless user would: a clear message, exit 1, nothing lost
or overwritten (issue 13). Each test snapshots the files before and compares them after."""
import json
import re
from pathlib import Path

import pytest
import spacy
import srsly
from spacy.tokens import Doc, DocBin, Span
from typer.testing import CliRunner

from clinner_spacy.cli.app import load_commands
from clinner_spacy.translate.cache import TranslationCache
from clinner_spacy.util import set_meta


def run(*args):
    result = CliRunner().invoke(load_commands(), [str(a) for a in args])
    # a traceback is never the answer to bad input
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.output
    return result


def output_of(result) -> str:
    return " ".join(result.output.split())  # wasabi wraps long messages


def snapshot(root: Path) -> dict:
    """Every file under root: bytes and modification time."""
    return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(root.rglob("*")) if p.is_file()}


def fails(result, *fragments):
    text = output_of(result)
    assert result.exit_code == 1, result.output
    for fragment in fragments:
        assert fragment in text, text


# --- fixtures: tiny inline data -------------------------------------------------------------


@pytest.fixture(scope="module")
def ruler_model(tmp_path_factory):
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "DISORDER", "pattern": "fever"}])
    path = tmp_path_factory.mktemp("model") / "ruler"
    nlp.to_disk(path)
    return path


def _docbin(path: Path, docs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    DocBin(docs=docs, store_user_data=True).to_disk(path)
    return path


def _es_docs(n=2):
    nlp = spacy.blank("es")
    docs = []
    for i in range(n):
        doc = nlp(f"Dolor en la mano {i}. Fiebre alta.")
        doc.ents = [doc.char_span(0, 5, label="DISORDER"), doc.char_span(12, 16, label="ANATOMY")]
        docs.append(set_meta(doc, doc_id=f"doc{i}", lang="es", corpus="test", split="train"))
    return docs


@pytest.fixture
def es_corpus(tmp_path):
    folder = tmp_path / "corpus" / "e3c-es"
    _docbin(folder / "train.spacy", _es_docs())
    _docbin(folder / "dev.spacy", _es_docs(1))
    return folder


def _gold_docs():
    nlp = spacy.blank("en")
    docs = []
    for i in range(2):
        doc = Doc(nlp.vocab, words=["Patient", "has", "fever", "."])
        doc.ents = [Span(doc, 2, 3, "DISORDER")]
        docs.append(set_meta(doc, doc_id=f"d{i}", annotated_labels=["DISORDER"]))
    return docs


XMI = (
    '<?xml version="1.0" encoding="UTF-8"?><xmi:XMI xmlns:xmi="http://www.omg.org/XMI" '
    'xmlns:cas="http:///uima/cas.ecore" xmlns:type4="http:///de/tudarmstadt/ukp/dkpro/core/api/segmentation/type.ecore" '
    'xmlns:custom="http:///webanno/custom.ecore" xmi:version="2.0">'
    '<type4:Sentence xmi:id="1" sofa="12" begin="0" end="{n}"/>'
    '<custom:CLINENTITY xmi:id="2" sofa="12" begin="{b}" end="{e}"/>'
    '<cas:Sofa xmi:id="12" sofaNum="1" sofaID="_InitialView" mimeType="text" sofaString="{text}"/></xmi:XMI>'
)


def _e3c(root: Path, n_train=5, n_test=2) -> Path:
    """data/e3c with English layer 1: EN00000<i>.xml, train ids listed in the split file."""
    folder = root / "data" / "e3c" / "data_annotation" / "English" / "layer1"
    folder.mkdir(parents=True)
    ids = [f"EN{i:06d}" for i in range(1, n_train + n_test + 1)]
    for i, doc_id in enumerate(ids):
        text = f"Patient {i} had fever."
        b = text.index("fever")
        (folder / f"{doc_id}.xml").write_text(XMI.format(n=len(text), b=b, e=b + 5, text=text), encoding="utf-8")
    doc = root / "data" / "e3c" / "documentation"
    doc.mkdir(parents=True)
    (doc / "train_test_split.txt").write_text(f"train = {ids[:n_train]!r}\n", encoding="utf-8")
    return root / "data"


def _pharmaconer(root: Path) -> Path:
    data = root / "data"
    for i, split in enumerate(("train", "dev", "test")):
        folder = data / "spaccc" / "pharmaconer" / split
        folder.mkdir(parents=True)
        (folder / f"S{i}.txt").write_text(f"Toma {i} de paracetamol.", encoding="utf-8")
        (folder / f"S{i}.ann").write_text("T1\tNORMALIZABLES 10 21\tparacetamol\n", encoding="utf-8")
    return data


def _dialogue(id_, text="Doctor: Any fever?\nPatient: Yes.", ents=((12, 17, "DISORDER"),)):
    return json.dumps({"id": id_, "text": text, "entities": [list(e) for e in ents]})


# --- overwrites -----------------------------------------------------------------------------


def test_annotate_dialogue_never_overwrites_its_input_or_an_existing_file(ruler_model, tmp_path):
    src = tmp_path / "gold.jsonl"
    src.write_text(_dialogue("a") + "\n", encoding="utf-8")
    other = tmp_path / "other.jsonl"
    other.write_text("keep me\n", encoding="utf-8")
    before = snapshot(tmp_path)
    fails(run("annotate-dialogue", src, "-m", ruler_model, "-o", src, "--force"), "gold.jsonl is also an input")
    fails(run("annotate-dialogue", src, "-m", ruler_model, "-o", other), "other.jsonl exists; pass --force")
    fails(run("annotate-dialogue", src, "-m", ruler_model, "-o", tmp_path / "new.jsonl", "--html", src),
          "gold.jsonl is also an input")
    assert snapshot(tmp_path) == before
    result = run("annotate-dialogue", src, "-m", ruler_model, "-o", other, "--force")
    assert result.exit_code == 0, result.output
    assert srsly.read_jsonl(other).__next__()["id"] == "a"


def test_evaluate_output_never_overwrites_gold(tmp_path):
    gold = _docbin(tmp_path / "gold.spacy", _gold_docs())
    pred = _docbin(tmp_path / "pred.spacy", _gold_docs())
    metrics = tmp_path / "m.json"
    metrics.write_text("{}", encoding="utf-8")
    before = snapshot(tmp_path)
    fails(run("evaluate", gold, "--pred", pred, "--output", gold, "--force"), "gold.spacy is also an input")
    fails(run("evaluate", gold, "--pred", pred, "--markdown", pred), "pred.spacy is also an input")
    fails(run("evaluate", gold, "--pred", pred, "--output", metrics), "m.json exists; pass --force")
    assert snapshot(tmp_path) == before
    assert run("evaluate", gold, "--pred", pred, "--output", metrics, "--force", "--bootstrap", 0).exit_code == 0
    assert json.loads(metrics.read_text())["strict"]["micro"]["tp"] == 2


def test_translate_corpus_refuses_to_overwrite_without_force(es_corpus, tmp_path):
    out, cache = tmp_path / "translated", tmp_path / "cache.sqlite"
    args = ["translate-corpus", "--corpus-dir", es_corpus, "--src", "es", "--translator", "identity",
            "--cache", cache, "--output-dir", out]
    assert run(*args).exit_code == 0
    before = snapshot(tmp_path)
    fails(run(*args), "train.spacy exists; pass --force")
    assert snapshot(tmp_path) == before
    # nor into the corpus it reads
    fails(run(*args[:-1], es_corpus, "--force"), "train.spacy is also an input")
    assert snapshot(tmp_path) == before
    assert run(*args, "--force").exit_code == 0


# --- silent loss or misplacement ------------------------------------------------------------


def test_brat_ann_without_txt_is_an_error(tmp_path):
    data = _pharmaconer(tmp_path)
    (data / "spaccc" / "pharmaconer" / "train" / "S7.ann").write_text("T1\tNORMALIZABLES 0 4\tToma\n", encoding="utf-8")
    before = snapshot(tmp_path)
    out = tmp_path / "corpus"
    fails(run("convert", "pharmaconer", "--data-dir", data, "-o", out), "S7.ann:file: missing text file S7.txt")
    assert snapshot(tmp_path) == before and not out.exists()
    result = run("convert", "pharmaconer", "--data-dir", data, "-o", out, "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "skipped S7 (train)" in output_of(result)


def test_e3c_copy_under_another_name_leaks_into_test(tmp_path):
    data = _e3c(tmp_path)
    folder = data / "e3c" / "data_annotation" / "English" / "layer1"
    # EN000001 is a train document; the copy is not in the split file, so it would be test
    (folder / "EN000099.xml").write_bytes((folder / "EN000001.xml").read_bytes())
    before = snapshot(tmp_path)
    result = run("convert", "e3c-en", "--data-dir", data, "-o", tmp_path / "corpus")
    fails(result, "EN000099.xml:document EN000099: same text as document EN000001", "EN000001.xml",
          "leaks between the splits")
    assert snapshot(tmp_path) == before and not (tmp_path / "corpus").exists()


def test_carve_leaving_a_split_empty_is_an_error(tmp_path):
    data = _e3c(tmp_path, n_train=2)  # 20% of 2 train documents rounds to no dev document
    out = tmp_path / "corpus"
    before = snapshot(tmp_path)
    fails(run("convert", "e3c-en", "--data-dir", data, "-o", out), "e3c-en: no dev documents (--dev-fraction 0.2",
          "--allow-empty")
    assert snapshot(tmp_path) == before and not out.exists()
    result = run("convert", "e3c-en", "--data-dir", data, "-o", out, "--allow-empty")
    assert result.exit_code == 0, result.output
    assert len(DocBin().from_disk(out / "e3c-en" / "dev.spacy")) == 0
    assert "dev split is empty" in (out / "e3c-en" / "report.md").read_text(encoding="utf-8")


def test_dialogue_gold_without_dev_jsonl_is_an_error(tmp_path):
    gold = tmp_path / "data" / "dialogue" / "gold"
    gold.mkdir(parents=True)
    (gold / "train.jsonl").write_text(_dialogue("t0") + "\n", encoding="utf-8")
    before = snapshot(tmp_path)
    fails(run("convert", "dialogue-gold", "--data-dir", tmp_path / "data", "-o", tmp_path / "corpus"),
          "dev.jsonl:file: missing: the dialogue gold set needs train.jsonl and dev.jsonl")
    (gold / "dev.jsonl").write_text("\n", encoding="utf-8")  # there, but empty
    fails(run("convert", "dialogue-gold", "--data-dir", tmp_path / "data", "-o", tmp_path / "corpus"),
          "dialogue-gold: no dev documents")
    assert not (tmp_path / "corpus").exists() and snapshot(tmp_path).keys() - before.keys() == {gold / "dev.jsonl"}


# --- garbage accepted -----------------------------------------------------------------------


class EmptyTranslator:
    name = "broken"

    def translate(self, texts, src_lang, tgt_lang):
        return ["" for _ in texts]

    def cache_signature(self):
        return {"backend": "broken-empty"}


class TagDropper(EmptyTranslator):
    def translate(self, texts, src_lang, tgt_lang):
        return [re.sub(r"</?e\d+>", "", t) for t in texts]

    def cache_signature(self):
        return {"backend": "broken-tags"}


@pytest.mark.parametrize("backend,message", [(EmptyTranslator, "1 of 1 sentences translated to empty text"),
                                             (TagDropper, "2 of 2 entity markers lost")])
def test_broken_translation_is_an_error_and_not_cached(es_corpus, tmp_path, monkeypatch, backend, message):
    import clinner_spacy.translate.registry as registry

    monkeypatch.setattr(registry, "get_translator", lambda name, **options: backend())
    out, cache = tmp_path / "out" / "train.spacy", tmp_path / "cache.sqlite"
    before = snapshot(tmp_path)
    result = run("translate", es_corpus / "train.spacy", out, "--src", "es", "--translator", "identity", "--cache", cache)
    fails(result, "output looks broken for 2 of 2 documents", f"doc 0 (doc0): {message}", "not cached",
          "--max-translation-loss")
    assert not out.exists() and {p: v for p, v in snapshot(tmp_path).items() if not p.name.startswith(cache.name)} == before
    assert len(TranslationCache(cache)) == 0
    fails(run("translate-corpus", "--corpus-dir", es_corpus, "--src", "es", "--translator", "identity", "--cache", cache,
              "--output-dir", tmp_path / "tr"), message)
    assert not (tmp_path / "tr" / "train.spacy").exists() and len(TranslationCache(cache)) == 0
    if backend is TagDropper:  # the threshold is an option: 1.0 accepts anything
        accepted = run("translate", es_corpus / "train.spacy", out, "--src", "es", "--translator", "identity",
                       "--no-cache", "--max-translation-loss", "1.0")
        assert accepted.exit_code == 0, accepted.output


def test_empty_evaluate_and_mistyped_labels_are_errors(tmp_path):
    gold = _docbin(tmp_path / "gold.spacy", _gold_docs())
    empty = _docbin(tmp_path / "empty.spacy", [])
    before = snapshot(tmp_path)
    fails(run("evaluate", empty, "--pred", empty, "--output", tmp_path / "m.json"), "empty.spacy holds no documents",
          "--allow-empty")
    fails(run("evaluate", gold, "--pred", gold, "--labels", "DISORDR", "--output", tmp_path / "m.json"),
          "--labels DISORDR: no gold or predicted document has this label", "labels present: DISORDER")
    assert snapshot(tmp_path) == before
    assert run("evaluate", empty, "--pred", empty, "--allow-empty", "--bootstrap", 0).exit_code == 0


def test_empty_docbin_does_not_translate(tmp_path):
    empty = _docbin(tmp_path / "corpus" / "train.spacy", [])
    _docbin(tmp_path / "corpus" / "dev.spacy", _es_docs(1))
    before = snapshot(tmp_path)
    out = tmp_path / "out.spacy"
    fails(run("translate", empty, out, "--src", "es", "--translator", "identity", "--no-cache"),
          "train.spacy holds no documents; pass --allow-empty")
    fails(run("translate-corpus", "--corpus-dir", tmp_path / "corpus", "--src", "es", "--translator", "identity",
              "--no-cache", "--output-dir", tmp_path / "tr"), "train.spacy holds no documents")
    assert snapshot(tmp_path) == before and not out.exists() and not (tmp_path / "tr").exists()
    ok = run("translate", empty, out, "--src", "es", "--translator", "identity", "--no-cache", "--allow-empty")
    assert ok.exit_code == 0 and len(DocBin().from_disk(out)) == 0


# --- tracebacks -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("d.jsonl", b'{"id": "a", "body": "Doctor: hi"}\n', 'd.jsonl:line 1: expected an object with a "text" string'),
        ("d.jsonl", b"\xff\xfe\x00binary\x00", "d.jsonl:byte 0 (line 1): not valid UTF-8"),
        ("d.spacy", b"\x00\x01 not a docbin", "d.spacy: not a readable spaCy DocBin"),
        ("d.csv", b"text\nDoctor: hi\n", "expected a .jsonl, .txt, .spacy file, not '.csv'"),
        ("d.jsonl", b"\n\n", "d.jsonl holds no dialogues; pass --allow-empty"),
    ],
)
def test_annotate_dialogue_checks_the_file_before_the_model(tmp_path, name, content, message):
    src = tmp_path / name
    src.write_bytes(content)
    before = snapshot(tmp_path)
    # the model does not exist: the file's error comes first, so no model was loaded
    fails(run("annotate-dialogue", src, "-m", tmp_path / "no-model", "-o", tmp_path / "o.jsonl"), message)
    assert snapshot(tmp_path) == before


def test_annotate_dialogue_missing_model_and_folder_input(tmp_path):
    src = tmp_path / "d.jsonl"
    src.write_text(_dialogue("a") + "\n", encoding="utf-8")
    before = snapshot(tmp_path)
    fails(run("annotate-dialogue", src, "-m", tmp_path / "no-model", "-o", tmp_path / "o.jsonl"),
          "cannot load the pipeline", "no-model")
    fails(run("annotate-dialogue", tmp_path, "-m", tmp_path / "no-model", "-o", tmp_path / "o.jsonl"), "is a folder")
    fails(run("annotate-dialogue", tmp_path / "nope.jsonl", "-m", "x", "-o", tmp_path / "o.jsonl"),
          "dialogue file not found")
    assert snapshot(tmp_path) == before


def test_convert_bad_fraction_and_output_file(tmp_path):
    data = _pharmaconer(tmp_path)
    fails(run("convert", "pharmaconer", "--data-dir", data, "--dev-fraction", "1.5", "-o", tmp_path / "corpus"),
          "--dev-fraction must be at least 0 and below 1, got 1.5")
    target = tmp_path / "corpus.txt"
    target.write_text("not a folder", encoding="utf-8")
    before = snapshot(tmp_path)
    fails(run("convert", "pharmaconer", "--data-dir", data, "-o", target), "corpus.txt is a file")
    assert snapshot(tmp_path) == before and not (tmp_path / "corpus").exists()


def test_translate_force_onto_a_folder_and_nllb_without_model_dir(es_corpus, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    before = snapshot(tmp_path)
    fails(run("translate", es_corpus / "train.spacy", folder, "--src", "es", "--translator", "identity", "--force",
              "--no-cache"), "out is a folder; give a file name")
    fails(run("translate", es_corpus / "train.spacy", tmp_path / "o.spacy", "--src", "es", "--translator", "nllb"),
          "the nllb translator needs --model-dir")
    fails(run("translate-corpus", "--corpus-dir", es_corpus, "--src", "es", "--translator", "nllb", "--output-dir",
              tmp_path / "tr"), "the nllb translator needs --nllb-model-dir")
    fails(run("translate-corpus", "--corpus-dir", es_corpus, "--src", "es", "--translator", "nllb", "--nllb-model-dir",
              tmp_path / "no-model", "--output-dir", tmp_path / "tr"), "no-model: no such folder")
    assert snapshot(tmp_path) == before


# --- --skip-invalid, cache, missing splits --------------------------------------------------


def test_skip_invalid_skips_every_per_document_error(tmp_path):
    data = _pharmaconer(tmp_path)
    train = data / "spaccc" / "pharmaconer" / "train"
    (train / "S5.txt").write_bytes("Toma de paracetamol, año".encode("latin-1"))  # encoding
    (train / "S5.ann").write_text("T1\tNORMALIZABLES 8 19\tparacetamol\n", encoding="utf-8")
    (train / "S6.txt").write_text("Sin anotar.", encoding="utf-8")  # missing .ann
    out = tmp_path / "corpus"
    fails(run("convert", "pharmaconer", "--data-dir", data, "-o", out), "S5.txt:byte 22 (line 1): not valid UTF-8")
    result = run("convert", "pharmaconer", "--data-dir", data, "-o", out, "--skip-invalid")
    assert result.exit_code == 0, result.output
    text = output_of(result)
    assert "2 invalid document(s) skipped" in text and "skipped S5 (train)" in text and "skipped S6 (train)" in text
    assert "S6.ann:file: missing annotation file" in text

    data = _e3c(tmp_path / "e3c")
    (data / "e3c" / "data_annotation" / "English" / "layer1" / "EN000002.xml").write_text("<xmi:XMI", encoding="utf-8")
    result = run("convert", "e3c-en", "--data-dir", data, "-o", out, "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "skipped EN000002" in output_of(result) and "invalid XML" in output_of(result)

    gold = tmp_path / "dlg" / "dialogue" / "gold"
    gold.mkdir(parents=True)
    (gold / "train.jsonl").write_text(_dialogue("t0") + '\n{"id": "t1", "text": broken\n' + _dialogue("t2") + "\n",
                                      encoding="utf-8")
    dev = _dialogue("d0", text="Doctor: Any fever today?\nPatient: No.")  # not a train text: that would leak
    (gold / "dev.jsonl").write_bytes(dev.encode() + b"\n" + b'{"id": "d1", "text": "\xff"}\n')
    result = run("convert", "dialogue-gold", "--data-dir", tmp_path / "dlg", "-o", out, "--skip-invalid")
    assert result.exit_code == 0, result.output
    text = output_of(result)
    assert "skipped train.jsonl:2 (train)" in text and "invalid JSON" in text
    assert "skipped dev.jsonl:2 (dev)" in text and "not valid UTF-8" in text
    assert len(DocBin().from_disk(out / "dialogue-gold" / "train.spacy")) == 2


def test_translate_corpus_default_cache_reports_hits(es_corpus, tmp_path, monkeypatch):
    cache = tmp_path / "user-cache" / "translations.sqlite"
    monkeypatch.setenv("CLINNER_TRANSLATION_CACHE", str(cache))
    args = ["translate-corpus", "--corpus-dir", es_corpus, "--src", "es", "--translator", "identity",
            "--output-dir", tmp_path / "tr"]
    first = run(*args)
    assert first.exit_code == 0, first.output
    # train: two texts translated; dev repeats one of them (one doc = one unit: no sentences set)
    assert cache.exists() and "Cache: 1 hits, 2 misses" in output_of(first)
    again = run(*args, "--force")
    assert again.exit_code == 0 and "Cache: 3 hits, 0 misses" in output_of(again)


def test_default_cache_path_in_a_project_and_outside(tmp_path, monkeypatch):
    from clinner_spacy.translate.cache import default_cache_path

    monkeypatch.delenv("CLINNER_TRANSLATION_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_path(tmp_path) == tmp_path / "xdg" / "clinner_spacy" / "translations.sqlite"
    (tmp_path / "project.yml").write_text("title: x\n", encoding="utf-8")
    assert default_cache_path(tmp_path) == tmp_path / ".cache" / "translations.sqlite"


def test_missing_split_is_found_before_anything_is_written(es_corpus, tmp_path):
    (es_corpus / "dev.spacy").unlink()
    before = snapshot(tmp_path)
    fails(run("translate-corpus", "--corpus-dir", es_corpus, "--src", "es", "--translator", "identity", "--no-cache",
              "--output-dir", tmp_path / "tr"), "input DocBin not found", "dev.spacy")
    assert snapshot(tmp_path) == before and not (tmp_path / "tr").exists()
    corpus = es_corpus.parent
    fails(run("source-data", "--corpus-dir", corpus, "--corpora", "e3c-es", "--dev-corpus", "e3c-en",
              "--output", tmp_path / "source"), "e3c-en/dev.spacy: no such DocBin")
    assert not (tmp_path / "source").exists()
