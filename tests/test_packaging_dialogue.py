"""Packaging en_clinner_dialogue: choice on the gold dev set, meta.json and model card that say the
scores are on dev (and optimistic), staging and `spacy package` naming, evaluate-package wiring."""
import shutil
from pathlib import Path

import pytest
import spacy
import srsly
from spacy.cli.package import package
from spacy.schemas import ModelMetaSchema, validate
from spacy.training import Example
from typer.testing import CliRunner

from clinner_spacy.dialogue.annotate import ensure_dialogue_components
from clinner_spacy.dialogue.plan import make_dialogue_plan
from clinner_spacy.packaging.dialogue_card import dialogue_model_card
from clinner_spacy.packaging.dialogue_meta import build_dialogue_meta, pipeline_components
from clinner_spacy.packaging.dialogue_stage import package_stage_dialogue, select_dialogue_model
from clinner_spacy.packaging.verify import evaluate_packages

ROOT = Path(__file__).resolve().parent.parent
LABELS = ["ANATOMY", "DISORDER", "DRUG"]
COMPONENTS = [{"name": "dialogue_turns", "factory": "clinner_dialogue_turns"},
              {"name": "transformer", "factory": "transformer"},
              {"name": "clinner_ner", "factory": "clinner_ner"},
              {"name": "speaker_guard", "factory": "clinner_speaker_guard"}]


def _metrics(f: float) -> dict:
    return {"strict": {"micro": {"p": f, "r": f, "f": f}, "macro": {"f": f - 0.1},
                       "per_label": {lb: {"p": f, "r": f, "f": f} for lb in LABELS}},
            "bootstrap": {"low": f - 0.05, "high": f + 0.05}, "n_docs": 25, "labels": LABELS}


def _meta(arm: str = "transfer_k", f: float = 0.62) -> dict:
    return build_dialogue_meta(name="clinner_dialogue", lang="en", version="0.1.0", labels=LABELS,
                               metrics=_metrics(f), run={"arm": arm, "k": "all", "seed": 1,
                                                         "config": "configs/dialogue_transfer.cfg"},
                               encoder="e5-small", source_corpora=["e3c-en", "neurotrialner"], components=COMPONENTS)


def test_dialogue_meta_says_dev_and_licenses():
    meta = _meta()
    assert validate(ModelMetaSchema, {**meta, "spacy_version": ">=3.8.0,<3.9.0"}) == []
    assert meta["license"] == "CC BY-NC 4.0" and "Non-commercial" in meta["description"]
    assert "DEV" in meta["description"] and "optimistic" in meta["description"]
    assert meta["clinner"]["eval_split"] == "dev" and "optimistic" in meta["clinner"]["scores"]
    assert meta["performance"]["ents_f"] == meta["performance"]["dev_ents_f"] == 0.62
    assert meta["labels"] == {"clinner_ner": LABELS}
    assert [c["factory"] for c in meta["clinner"]["components"]][-1] == "clinner_speaker_guard"
    licenses = {s["name"].split(" ")[0]: s["license"] for s in meta["sources"]}
    assert licenses["E3C"] == "CC BY-NC 4.0" and "CC0" in licenses["NeuroTrialNER"]
    assert "MIT" in licenses["NeuroTrialNER"] and licenses["MTS-Dialog"].startswith("CC BY 4.0")


def test_dialogue_meta_sources_follow_arm():
    target_only = _meta("target_only")
    assert target_only["license"] == "CC BY 4.0" and "Non-commercial" not in target_only["description"]
    assert [s["url"] for s in target_only["sources"]] == ["https://github.com/abachaa/MTS-Dialog"]
    self_training = {s["url"] for s in _meta("self_training")["sources"]}
    assert {"https://github.com/wyim/aci-bench", "https://github.com/babylonhealth/primock57"} <= self_training
    assert "https://github.com/abachaa/MTS-Dialog" not in {s["url"] for s in _meta("zero_shot_guard")["sources"]}


def test_dialogue_model_card():
    card = dialogue_model_card(_meta(), command="spacy project run all . --vars.profile quick", date="2026-11-22",
                               machine="2-core CPU, 24 GiB, no GPU")
    for needle in ("# en_clinner_dialogue 0.1.0", "non-commercial use only", 'spacy.load("en_clinner_dialogue")',
                   "clinner annotate-dialogue", "`DRUG`", "**dev** set", "optimistic", "not public",
                   "`speaker_guard` (clinner_speaker_guard)", "`transformer` (transformer)",
                   "| DRUG | 62.0 | 62.0 | 62.0 |", "[95% CI 57.0, 67.0]", "| macro | | | 52.0 |",
                   "https://github.com/hltfbk/E3C-Corpus", "NeuroTrialNER", "2026-11-22"):
        assert needle in card, needle


def _tiny_dialogue_pipeline(path: Path) -> None:
    """dialogue_turns + clinner_ner (a hash-embedding tok2vec, no transformer) + speaker_guard, briefly trained."""
    nlp = spacy.blank("xx")
    nlp.add_pipe("clinner_ner", config={"model": {"@architectures": "clinner.TokenTagger.v1", "tok2vec": {
        "@architectures": "spacy.HashEmbedCNN.v2", "width": 16, "depth": 1, "embed_size": 200, "window_size": 1,
        "maxout_pieces": 2, "subword_features": True, "pretrained_vectors": None}}})
    ensure_dialogue_components(nlp)
    data = [("Doctor: Any fever?\nPatient: Yes, fever and chest pain.", [("fever", "DISORDER"),
                                                                       ("chest pain", "DISORDER")]),
            ("Doctor: Do you take aspirin?\nPatient: Yes.", [("aspirin", "DRUG")])]
    egs = []
    for text, ents in data:
        spans = [(text.rindex(m), text.rindex(m) + len(m), label) for m, label in ents]
        egs.append(Example.from_dict(nlp.make_doc(text), {"entities": spans}))
    opt = nlp.initialize(lambda: egs)
    for _ in range(3):
        nlp.update(egs, sgd=opt)
    nlp.to_disk(path)


def test_select_on_dev_and_stage_dialogue(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    plan = make_dialogue_plan(profile="quick", ks=["10", "all"], seeds=[1], max_steps=1, eval_frequency=1,
                              encoder="enc")
    scores = {("zero_shot", None): 0.99,  # the source model without dialogue components: not a candidate
              ("zero_shot_guard", None): 0.40, ("target_only", "10"): 0.30, ("target_only", "all"): 0.55,
              ("transfer_k", "10"): 0.50, ("transfer_k", "all"): 0.55, ("self_training", None): 0.55}
    for ev in plan.evaluations:
        Path(ev.model).mkdir(parents=True, exist_ok=True)
        Path(ev.output).parent.mkdir(parents=True, exist_ok=True)
        srsly.write_json(ev.output, _metrics(scores[(ev.arm, ev.k)]))
    chosen = select_dialogue_model(plan)
    assert (chosen.evaluation.arm, chosen.evaluation.k) == ("transfer_k", "all")  # a tie goes to transfer_k
    assert chosen.dev_score == pytest.approx(0.55)
    srsly.write_json(chosen.evaluation.output, _metrics(0.1))  # now self_training is best
    assert select_dialogue_model(plan).evaluation.arm == "self_training"
    _tiny_dialogue_pipeline(Path(plan.select(arm="self_training")[0].model))
    info = package_stage_dialogue(plan=plan, name="clinner_dialogue", version="0.1.0", encoder="e5-small",
                                  source_corpora=["e3c-en", "neurotrialner"], output_dir="stage", command="cmd",
                                  date="2026-11-22", machine="test machine")
    assert info["arm"] == "self_training" and info["dev"] == pytest.approx(0.55)
    assert info["components"] == ["dialogue_turns", "clinner_ner", "speaker_guard"]
    meta = srsly.read_json("stage/meta.json")
    assert meta["lang"] == "en" and meta["clinner"]["config"] == "configs/dialogue_transfer.cfg"
    assert meta["labels"]["clinner_ner"] == ["DISORDER", "DRUG"]  # what the pipeline predicts
    assert "optimistic" in Path("stage/model/README.md").read_text()
    nlp = spacy.load("stage/model")
    assert nlp.pipe_names == info["components"]
    # spacy package names it en_<name> from the merged meta, though the config's lang is "xx"
    Path("packages").mkdir()
    package(Path("stage/model"), Path("packages"), meta_path=Path("stage/meta.json"), create_sdist=False,
            force=True)  # what `spacy package ... --meta-path ... --build none` does, in process
    pkg = tmp_path / "packages" / "en_clinner_dialogue-0.1.0"
    assert (pkg / "README.md").read_text().startswith("# en_clinner_dialogue 0.1.0")
    # what spacy.load("en_clinner_dialogue") does once installed, with the merged meta.json where the
    # package's setup.py copies it at build time (package and data folders)
    for folder in (pkg / "en_clinner_dialogue", pkg / "en_clinner_dialogue" / "en_clinner_dialogue-0.1.0"):
        shutil.copy(pkg / "meta.json", folder / "meta.json")
    loaded = spacy.util.load_model_from_init_py(pkg / "en_clinner_dialogue" / "__init__.py")
    assert loaded.meta["clinner"]["eval_split"] == "dev" and loaded.meta["lang"] == "en"
    assert loaded.meta["performance"]["ents_f"] == pytest.approx(0.55) and loaded.pipe_names == nlp.pipe_names
    doc = loaded("Doctor: Any fever?\nPatient: Yes.")
    assert all(not ent.text.startswith(("Doctor", "Patient")) for ent in doc.ents)


def test_select_dialogue_without_metrics_is_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    plan = make_dialogue_plan(profile="quick", ks=["all"], seeds=[1], max_steps=1, eval_frequency=1, encoder="e")
    with pytest.raises(FileNotFoundError, match="dialogue-evaluate"):
        select_dialogue_model(plan)


def test_pipeline_components_from_config():
    config = {"nlp": {"pipeline": ["a", "b"]}, "components": {"a": {"factory": "clinner_ner"}, "b": {"source": "x"}}}
    assert pipeline_components(config) == [{"name": "a", "factory": "clinner_ner"}, {"name": "b", "factory": "x"}]


def test_missing_dialogue_gold_is_named_before_install(tmp_path):
    wheels = [tmp_path / "clinner_spacy-0.1.0-py3-none-any.whl", tmp_path / "en_clinner_dialogue-0.1.0-py3-none-any.whl"]
    for wheel in wheels:
        wheel.write_text("")
    with pytest.raises(FileNotFoundError, match="no-dev.spacy.*en_clinner_dialogue"):
        evaluate_packages(venv_dir=tmp_path / "venv", clinner_wheel=wheels[0], wheels=wheels[1:], corpus_dir=tmp_path,
                          labels=["DISORDER"], n_bootstrap=10, output_dir=tmp_path,
                          targets={"en_clinner_dialogue": (tmp_path / "no-dev.spacy", LABELS)})
    assert not (tmp_path / "venv").exists()


def test_evaluate_package_cli_scores_dialogue_wheel_on_dev(monkeypatch, tmp_path):
    from clinner_spacy.cli.app import load_commands
    from clinner_spacy.packaging import verify

    seen = {}

    def fake(**kwargs):
        seen.update(kwargs)
        return [{"package": "en_clinner_dialogue", "f": 0.5, "reference_f": 0.5, "seconds": 1.0}]

    monkeypatch.setattr(verify, "evaluate_packages", fake)
    es = "packages/es_clinner_e3c-0.1.0/dist/es_clinner_e3c-0.1.0-py3-none-any.whl"
    dia = "packages/en_clinner_dialogue-0.1.0/dist/en_clinner_dialogue-0.1.0-py3-none-any.whl"
    result = CliRunner().invoke(load_commands(), ["evaluate-package", "--clinner-wheel", "c.whl", "--wheel", es,
                                      "--dialogue-wheel", dia, "--output-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert [str(w) for w in seen["wheels"]] == [es, dia] and seen["labels"] == ["DISORDER", "ANATOMY"]
    assert seen["targets"] == {"en_clinner_dialogue": (Path("corpus/dialogue-gold/dev.spacy"),
                                                       ["DISORDER", "DRUG", "ANATOMY"])}


def test_project_packages_dialogue():
    project = srsly.read_yaml(ROOT / "project.yml")
    commands = {c["name"]: c for c in project["commands"]}
    wheel = "packages/en_${vars.dialogue_package_name}-${vars.package_version}/dist/" \
            "en_${vars.dialogue_package_name}-${vars.package_version}-py3-none-any.whl"
    # the dialogue wheel is built by its own command, so es/fr packaging never waits on the dialogue
    # arms; evaluate-package scores every wheel in one fresh environment (one build, ~2 min, not two)
    pack, evaluate = commands["package-dialogue"], commands["evaluate-package"]
    assert any("package-stage-dialogue" in line for line in pack["script"])
    assert wheel in pack["outputs"] and "metrics/${vars.profile}/dialogue" in pack["deps"]
    assert wheel in evaluate["deps"] and "corpus/dialogue-gold/dev.spacy" in evaluate["deps"]
    assert "metrics/${vars.profile}/installed/en_${vars.dialogue_package_name}.json" in evaluate["outputs"]
    assert any("--dialogue-wheel " + wheel in line for line in evaluate["script"])
    assert "evaluate-package-dialogue" not in commands
    order = project["workflows"]["all"]
    assert order.index("package-dialogue") < order.index("evaluate-package") < order.index("results")


def test_package_stage_dialogue_cli_names_missing_metrics(tmp_path, monkeypatch):
    from clinner_spacy.cli.app import load_commands

    monkeypatch.chdir(tmp_path)
    make_dialogue_plan(profile="quick", ks=["all"], seeds=[1], max_steps=1, eval_frequency=1,
                       encoder="e").to_disk("plan.json")
    result = CliRunner().invoke(load_commands(), ["package-stage-dialogue", "--plan", "plan.json", "--output", "stage"])
    assert result.exit_code == 1 and "dialogue-evaluate" in result.output
    assert not Path("stage").exists()
