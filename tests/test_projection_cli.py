"""`clinner translate` and the registered clinner.project_docbin.v1, on tiny DocBins."""
import pytest
import spacy
import srsly
from spacy.tokens import DocBin
from typer.testing import CliRunner

from clinner_spacy.cli.app import app, load_commands
from clinner_spacy.util import get_meta, set_meta


@pytest.fixture(scope="module")
def source_docbin(tmp_path_factory):
    nlp = spacy.blank("es")
    docs = []
    for i, (text, ents) in enumerate([("Dolor en la mano.", [(0, 5, "DISORDER"), (12, 16, "ANATOMY")]), ("", [])]):
        doc = nlp(text)
        doc.ents = [doc.char_span(s, e, label=label) for s, e, label in ents]
        set_meta(doc, doc_id=f"doc{i}", lang="es", corpus="test", split="train", annotated_labels=["DISORDER"])
        docs.append(doc)
    path = tmp_path_factory.mktemp("src") / "train.spacy"
    DocBin(docs=docs, store_user_data=True).to_disk(path)
    return path


def run(*args):
    load_commands()
    return CliRunner().invoke(app, ["translate", *map(str, args)])


def test_cli_translates_and_refuses_to_overwrite(source_docbin, tmp_path):
    out = tmp_path / "out" / "train.spacy"
    cache = tmp_path / "cache.sqlite"
    result = run(source_docbin, out, "--src", "es", "--translator", "identity", "--cache", cache)
    assert result.exit_code == 0, result.output
    assert "2/2 entities placed" in result.output
    docs = list(DocBin().from_disk(out).get_docs(spacy.blank("en").vocab))
    assert [d.text for d in docs] == ["Dolor en la mano.", ""]
    assert [(e.text, e.label_) for e in docs[0].ents] == [("Dolor", "DISORDER"), ("mano", "ANATOMY")]
    assert get_meta(docs[0], "source_doc_id") == "doc0" and get_meta(docs[1], "doc_id") == "doc1.en"
    report = srsly.read_json(tmp_path / "out" / "train.report.json")
    assert report["placed"] == 2 and report["by_method"] == {"marker": 2}
    assert (tmp_path / "out" / "train.report.md").exists()
    assert cache.exists()

    again = run(source_docbin, out, "--src", "es", "--translator", "identity", "--cache", cache)
    assert again.exit_code == 1 and "--force" in again.output
    forced = run(source_docbin, out, "--src", "es", "--translator", "identity", "--no-cache", "--force")
    assert forced.exit_code == 0, forced.output


def test_cli_clear_errors(source_docbin, tmp_path):
    out = tmp_path / "x.spacy"
    # apertium has no German; without the binary the error names apertium too
    bad_pair = run(source_docbin, out, "--src", "de", "--translator", "apertium", "--no-cache")
    assert bad_pair.exit_code == 1 and "apertium" in bad_pair.output
    missing = run(tmp_path / "nope.spacy", out, "--src", "es", "--translator", "identity", "--no-cache")
    assert missing.exit_code == 1 and "nope.spacy" in missing.output
    same = run(source_docbin, out, "--src", "es", "--tgt", "es", "--translator", "identity", "--no-cache")
    assert same.exit_code == 1 and "both" in same.output
    model_dir = run(source_docbin, out, "--src", "es", "--translator", "apertium", "--model-dir", tmp_path)
    assert model_dir.exit_code == 1 and "nllb" in model_dir.output
    assert not out.exists()


def test_registered_project_docbin(source_docbin, tmp_path):
    from clinner_spacy.translate.identity import IdentityTranslator

    if "test_projection.identity.v1" not in spacy.registry.misc:
        spacy.registry.misc("test_projection.identity.v1", func=lambda: IdentityTranslator())
    config = {
        "project": {
            "@misc": "clinner.project_docbin.v1",
            "src_lang": "es",
            "translator": {"@misc": "test_projection.identity.v1"},
        }
    }
    project = spacy.registry.resolve(config)["project"]
    report = project(source_docbin, tmp_path / "o.spacy", report_path=tmp_path / "r.json", show_progress=False)
    assert report.placed == 2 and (tmp_path / "r.md").exists()
    with pytest.raises(FileExistsError):
        project(source_docbin, tmp_path / "o.spacy")
