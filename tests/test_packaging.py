"""Packaging: model choice on dev, staging, meta.json, model card; one slow end-to-end install test."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import spacy
import srsly
from spacy.schemas import ModelMetaSchema, validate
from spacy.tokens import DocBin
from spacy.training import Example

from clinner_spacy.packaging.meta import build_meta
from clinner_spacy.packaging.model_card import model_card
from clinner_spacy.packaging.select import select_model, stage_model
from clinner_spacy.packaging.verify import evaluate_packages, package_name
from clinner_spacy.project.plan import make_plan
from clinner_spacy.util import set_meta

ROOT = Path(__file__).resolve().parent.parent
METRICS = {
    "strict": {"micro": {"p": 0.8, "r": 0.7, "f": 0.7467},
               "per_label": {"ANATOMY": {"p": 0.7, "r": 0.6, "f": 0.646}, "DISORDER": {"p": 0.85, "r": 0.75, "f": 0.797}}},
    "bootstrap": {"low": 0.70, "high": 0.79},
    "n_docs": 45,
    "labels": ["ANATOMY", "DISORDER"],
}
RUN = {"arm": "transfer_k", "k": "all", "seed": 1, "config": "configs/transfer.cfg"}


def _meta(**kw):
    args = dict(name="clinner_e3c", lang="es", version="0.1.0", labels=["ANATOMY", "DISORDER"], metrics=METRICS,
                run=RUN, dev_score=0.71, encoder="e5-small", translator="apertium",
                train_corpora=["e3c-en", "e3c-es"], test_corpus="e3c-es test (E3C layer 1)")
    args.update(kw)
    return build_meta(**args)


def test_meta_fields_and_schema():
    meta = _meta()
    assert validate(ModelMetaSchema, {**meta, "spacy_version": ">=3.8.0,<3.9.0"}) == []
    assert meta["license"] == "CC BY-NC 4.0" and "Non-commercial" in meta["description"]
    assert meta["performance"]["ents_f"] == 0.7467 and meta["performance"]["ents_f_ci95"] == [0.70, 0.79]
    assert meta["performance"]["ents_per_type"]["DISORDER"]["f"] == 0.797
    assert meta["performance"]["dev_ents_f"] == 0.71
    assert meta["requirements"][0].startswith("clinner-spacy>=0.1.0,<0.2.0")
    assert meta["clinner"]["encoder"]["name"] == "intfloat/multilingual-e5-small"
    assert meta["clinner"]["translator"]["key"] == "apertium"
    assert [s["license"] for s in meta["sources"]] == ["CC BY-NC 4.0", "CC BY-NC 4.0"]


def test_meta_license_follows_data():
    meta = _meta(train_corpora=["ncbi-disease"], translator=None)
    assert meta["license"] == "MIT" and meta["clinner"]["translator"] is None
    assert _meta(train_corpora=["ncbi-disease"], translator="nllb")["license"] == "CC BY-NC 4.0"  # NLLB weights


def test_model_card():
    card = model_card(_meta(), command="spacy project run all . --vars.profile quick", date="2026-11-22",
                      machine="2-core CPU, 24 GiB, no GPU")
    for needle in ("# es_clinner_e3c 0.1.0", "non-commercial use only", 'spacy.load("es_clinner_e3c")', "`DISORDER`",
                   "| DISORDER | 85.0 | 75.0 | 79.7 |", "[95% CI 70.0, 79.0]", "2026-11-22", "transfer_k",
                   "Apertium", "https://github.com/hltfbk/E3C-Corpus", "never on test"):
        assert needle in card, needle


def _fake_model(path: Path, ents_f: float) -> None:
    path.mkdir(parents=True)
    srsly.write_json(path / "meta.json", {"performance": {"ents_f": ents_f}})
    (path / "README.md").write_text("original")


def test_select_on_dev_and_stage(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    plan = make_plan(profile="quick", langs=["es"], ks=["10", "all"], seeds=[1], max_steps=1, eval_frequency=1,
                     translator="apertium")
    scores = {("target_only", "10"): 0.5, ("target_only", "all"): 0.7, ("transfer_k", "10"): 0.6,
              ("transfer_k", "all"): 0.7, ("transfer", None): 0.99}  # transfer: dev is translated, not comparable
    for run in plan.runs:
        if run.lang == "es":
            _fake_model(Path(run.model), scores[(run.arm, run.k)])
    chosen = select_model(plan, "es")
    assert (chosen.run.arm, chosen.run.k) == ("transfer_k", "all")  # a tie goes to transfer_k
    assert chosen.dev_score == pytest.approx(0.7)
    with pytest.raises(FileNotFoundError, match="fr"):
        select_model(plan, "fr")
    staged = stage_model(chosen.run.model, "stage", readme="card", meta={"name": "x"})
    assert (staged / "README.md").read_text() == "card"
    assert (Path(chosen.run.model) / "README.md").read_text() == "original"  # hard link not written through
    assert srsly.read_json("stage/meta.json") == {"name": "x"}


def test_package_name():
    assert package_name("packages/es_clinner_e3c-0.1.0/dist/es_clinner_e3c-0.1.0-py3-none-any.whl") == "es_clinner_e3c"


def test_missing_wheel_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="package-pipelines"):
        evaluate_packages(venv_dir=tmp_path / "venv", clinner_wheel=tmp_path / "nope.whl", wheels=[],
                          corpus_dir=tmp_path, labels=["DISORDER"], n_bootstrap=10, output_dir=tmp_path)


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("CLINNER_TEST_FRESH_VENV") != "1",
                    reason="installs torch and spaCy into a fresh venv: 9.6 min on the shared 2-core CPU "
                           "(2026-11-22); set CLINNER_TEST_FRESH_VENV=1 to run")
def test_package_install_and_score_in_fresh_venv(tmp_path):
    """Build a tiny clinner pipeline's wheel and this repo's wheel, install both in a fresh venv, score there."""
    nlp = spacy.blank("xx")
    nlp.add_pipe("clinner_ner", config={"model": {"@architectures": "clinner.TokenTagger.v1", "tok2vec": {
        "@architectures": "spacy.HashEmbedCNN.v2", "width": 16, "depth": 1, "embed_size": 200, "window_size": 1,
        "maxout_pieces": 2, "subword_features": True, "pretrained_vectors": None}}})
    data = [("Tiene fiebre alta.", [(6, 12, "DISORDER")]), ("Dolor en el brazo.", [(0, 5, "DISORDER")])]
    egs = [Example.from_dict(nlp.make_doc(t), {"entities": e}) for t, e in data]
    opt = nlp.initialize(lambda: egs)
    for _ in range(20):
        nlp.update(egs, sgd=opt)
    nlp.to_disk(tmp_path / "model-best")
    gold = DocBin(store_user_data=True)
    for eg in egs:
        gold.add(set_meta(eg.reference, doc_id="d", annotated_labels=["DISORDER"]))
    (tmp_path / "corpus" / "e3c-es").mkdir(parents=True)
    gold.to_disk(tmp_path / "corpus" / "e3c-es" / "test.spacy")
    meta = _meta(metrics={**METRICS, "labels": ["DISORDER"]}, labels=["DISORDER"])
    stage_model(tmp_path / "model-best", tmp_path / "stage", model_card(meta), meta)
    (tmp_path / "packages").mkdir()
    run = lambda *cmd: subprocess.run([sys.executable, "-m", *cmd], check=True, cwd=ROOT)  # noqa: E731
    run("spacy", "package", str(tmp_path / "stage" / "model"), str(tmp_path / "packages"), "--meta-path",
        str(tmp_path / "stage" / "meta.json"), "--build", "wheel", "--force")
    run("pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(tmp_path / "dist"), str(ROOT))
    [clinner_wheel] = (tmp_path / "dist").glob("clinner_spacy-*.whl")
    [wheel] = (tmp_path / "packages").glob("es_clinner_e3c-*/dist/*.whl")
    [row] = evaluate_packages(venv_dir=tmp_path / "venv", clinner_wheel=clinner_wheel, wheels=[wheel],
                              corpus_dir=tmp_path / "corpus", labels=["DISORDER"], n_bootstrap=10,
                              output_dir=tmp_path / "installed")
    installed = srsly.read_json(row["output"])
    assert installed["package"] == "es_clinner_e3c"
    assert str(tmp_path / "venv") in installed["spacy_load_path"]  # loaded from the fresh environment
    assert installed["reference_f"] == pytest.approx(0.7467)
    assert os.path.exists(tmp_path / "packages" / "es_clinner_e3c-0.1.0" / "README.md")


def test_evaluate_packages_runs_the_venv_python_by_absolute_path(tmp_path, monkeypatch):
    """Regression: the scorer runs with cwd inside the venv, so a relative python path broke it."""
    import subprocess as sp

    from clinner_spacy.packaging import verify

    monkeypatch.chdir(tmp_path)
    for name in ("clinner_spacy-0.1.0-py3-none-any.whl", "es_clinner_e3c-0.1.0-py3-none-any.whl"):
        (tmp_path / name).write_bytes(b"")
    gold = tmp_path / "corpus" / "e3c-es" / "test.spacy"
    gold.parent.mkdir(parents=True)
    gold.write_bytes(b"")
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    seen = []

    def fake_run(cmd, cwd=None, env=None):
        seen.append((cmd[0], cwd))
        out = cmd[2].split("score_installed(")[1].split(", ")[-1].rstrip(")").strip("'")
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text('{"strict": {"micro": {"f": 0.5}}}')
        return sp.CompletedProcess(cmd, 0)

    monkeypatch.setattr(verify.subprocess, "run", fake_run)
    monkeypatch.setattr(verify, "make_venv", lambda path, wheels: Path(path) / "bin" / "python")
    rows = verify.evaluate_packages(venv_dir="venv", clinner_wheel="clinner_spacy-0.1.0-py3-none-any.whl",
                                    wheels=["es_clinner_e3c-0.1.0-py3-none-any.whl"], corpus_dir="corpus",
                                    labels=["DISORDER"], n_bootstrap=10, output_dir="out")
    assert rows[0]["f"] == 0.5
    python, cwd = seen[0]
    assert Path(python).is_absolute() and python == str(tmp_path / "venv" / "bin" / "python")
