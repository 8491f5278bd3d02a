"""code_stamp(): run and evaluation signatures hold the code that shapes them."""
import shutil

import pytest

from clinner_spacy.project import evaluate as project_evaluate
from clinner_spacy.project import runner, signature
from clinner_spacy.project.plan import Evaluation, Run


@pytest.fixture
def package_copy(tmp_path):
    copy = tmp_path / "clinner_spacy"
    shutil.copytree(signature.PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_stamp_is_stable_and_counts_the_model_code():
    assert signature.code_stamp() == signature.code_stamp() == signature.code_hash()
    files = signature.code_files(signature.PACKAGE_DIR)
    for path in ("models/frozen.py", "pipeline/ner.py", "pipeline/loss.py", "training/transfer.py",
                 "evaluation/scoring.py", "project/runner.py", "util.py"):
        assert path in files, path
    assert not any(path.startswith(("cli/", "reporting/", "packaging/")) for path in files)
    assert set(signature.library_versions()) == {"spacy", "thinc", "spacy-transformers", "torch", "transformers"}


def test_changed_content_changes_the_hash(package_copy):
    before = signature.code_hash(package_copy)
    assert signature.code_hash(package_copy) == before
    loss = package_copy / "pipeline" / "loss.py"
    loss.write_text(loss.read_text() + "\n# a change\n")
    changed = signature.code_hash(package_copy)
    assert changed != before
    # a new module in a counted subpackage counts too
    (package_copy / "models" / "extra.py").write_text("X = 1\n")
    assert signature.code_hash(package_copy) != changed


def test_code_outside_the_counted_parts_changes_nothing(package_copy):
    before = signature.code_hash(package_copy)
    app = package_copy / "cli" / "app.py"
    app.write_text(app.read_text() + "\n# presentation only\n")
    assert signature.code_hash(package_copy) == before


def test_library_versions_count(package_copy, monkeypatch):
    before = signature.code_hash(package_copy)
    monkeypatch.setattr(signature, "library_versions", lambda: {"spacy": "0.0.0"})
    assert signature.code_hash(package_copy) != before


def test_run_and_evaluation_signatures_change_with_the_code(tmp_path, monkeypatch):
    (tmp_path / "c.cfg").write_text("[paths]\n")
    run = Run(arm="source", lang="en", seed=1, config=str(tmp_path / "c.cfg"), train=str(tmp_path / "t.spacy"),
              dev=str(tmp_path / "d.spacy"), output=str(tmp_path / "out"), max_steps=1, eval_frequency=1)
    ev = Evaluation(arm="source", lang="en", seed=1, model=str(tmp_path / "out"), gold=str(tmp_path / "g.spacy"),
                    output=str(tmp_path / "m.json"))
    settings = {"encoder": None, "overrides": []}
    run_before = runner.run_signature(run, settings)
    ev_before = project_evaluate.evaluation_signature(ev, ["DISORDER"], 10)
    assert runner.run_signature(run, settings) == run_before
    monkeypatch.setattr(runner, "code_stamp", lambda: "other code")
    monkeypatch.setattr(project_evaluate, "code_stamp", lambda: "other code")
    assert runner.run_signature(run, settings) != run_before
    assert project_evaluate.evaluation_signature(ev, ["DISORDER"], 10) != ev_before
