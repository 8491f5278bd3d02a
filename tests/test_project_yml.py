"""project.yml is valid and true: every command documented, its scripts call real commands with real
options, its code deps exist, its workflows cover it, and its corpus assets are pinned and checksummed."""
import re
import shlex
from pathlib import Path

import pytest
import srsly
import typer.main
from weasel.util import load_project_config

from clinner_spacy.cli.app import app, load_commands
from clinner_spacy.project.manifest import read_manifest
from clinner_spacy.project.mirror import load_assets
from clinner_spacy.project.plan import make_plan

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDERS = {"dialogue-placeholder"}


@pytest.fixture(scope="module")
def config():
    return load_project_config(ROOT)  # validates the schema and substitutes vars


@pytest.fixture(scope="module")
def cli():
    load_commands()
    return typer.main.get_command(app)


def _commands(config):
    return {cmd["name"]: cmd for cmd in config["commands"]}


def test_every_command_has_help_script_deps_outputs(config):
    for name, cmd in _commands(config).items():
        assert cmd.get("help") and cmd.get("script"), name
        if name not in PLACEHOLDERS:
            assert cmd.get("deps") and cmd.get("outputs"), name


def test_code_and_config_deps_exist(config):
    for name, cmd in _commands(config).items():
        for dep in cmd.get("deps", []):
            if dep.startswith(("clinner_spacy/", "configs/")) or dep in ("corpora.sha256", "pyproject.toml"):
                assert (ROOT / dep).is_file(), f"{name}: dep {dep} does not exist"


def _clinner_calls(config):
    for name, cmd in _commands(config).items():
        for line in cmd["script"]:
            argv = shlex.split(line)
            if argv[:3] == ["python", "-m", "clinner_spacy"]:
                yield name, argv[3:]


def test_scripts_call_real_commands_with_real_options(config, cli):
    calls = list(_clinner_calls(config))
    assert len(calls) >= 15
    for name, argv in calls:
        group, rest = cli, argv
        while hasattr(group, "commands"):  # sub-apps such as `assets encoder`
            assert rest and rest[0] in group.commands, f"{name}: unknown clinner command {rest[:1]}"
            group, rest = group.commands[rest[0]], rest[1:]
        known = {opt for param in group.params for opt in param.opts + param.secondary_opts}
        for token in rest:
            if token.startswith("--") and " " not in token:  # a quoted value may start with --
                assert token in known, f"{name}: `{' '.join(argv[:2])}` has no option {token}"


def test_spacy_package_lines_use_staged_meta(config):
    commands = _commands(config)
    lines = [
        line
        for name in ("package-pipelines", "package-dialogue")
        for line in commands[name]["script"]
        if line.startswith("python -m spacy package")
    ]
    assert len(lines) == 3  # es, fr (package-pipelines), en dialogue (package-dialogue)
    for line in lines:
        argv = shlex.split(line)
        assert argv[4].endswith("/model") and "--meta-path" in argv and "wheel" in argv


def test_workflows(config):
    commands = _commands(config)
    for wf, names in config["workflows"].items():
        for name in names:
            assert name in commands, f"workflow {wf}: unknown command {name}"
    assert set(config["workflows"]["all"]) | set(config["workflows"]["extra"]) == set(commands)
    assert not set(config["workflows"]["all"]) & set(config["workflows"]["extra"])
    assert {"all", "translate", "train", "transfer", "evaluate", "package", "dialogue"} <= set(config["workflows"])


def test_translator_and_profile_are_one_var_away():
    nllb = load_project_config(ROOT, overrides={"vars.translator": "nllb", "vars.profile": "full"})
    script = " ".join(_commands(nllb)["translate-es"]["script"])
    assert "--translator nllb" in script and "--output-dir translated/nllb/es" in script
    assert "--nllb-model-dir assets/nllb-200-distilled-600M-ct2" in script
    assert _commands(nllb)["train-transfer"]["outputs"] == ["training/full/transfer"]
    assert "translated/nllb/fr/train.spacy" in _commands(nllb)["train-transfer"]["deps"]


def test_arm_outputs_hold_every_planned_run(config):
    """The arm commands' output folders contain every run and metrics file the plan can produce."""
    cmds = _commands(config)
    plan = make_plan(profile="quick", langs=["es", "fr"], ks=["5", "10", "20", "all"], seeds=[1, 2, 3],
                     max_steps=1, eval_frequency=1, translator="apertium")
    outputs = {arm: cmds[f"train-{arm.replace('_', '-')}"]["outputs"] for arm in
               ("source", "target_only", "transfer", "transfer_k")}
    for run in plan.runs:
        assert any(run.output.startswith(out + "/") for out in outputs[run.arm]), run.output
    for ev in plan.evaluations:
        assert any(ev.output.startswith(out + "/") for out in cmds["evaluate-arms"]["outputs"]), ev.output


def test_corpus_assets_pinned_and_in_manifest():
    manifest = read_manifest(ROOT / "corpora.sha256")
    assets = load_assets(ROOT)
    assert {a.name for a in assets} >= {"e3c", "ncbi-disease", "bc5cdr", "neurotrialner"}
    for asset in assets:
        assert re.fullmatch(r"[0-9a-f]{40}", asset.commit), asset.name
        assert asset.repo.startswith("https://github.com/") and asset.license, asset.name
        if asset.url:
            assert asset.commit in asset.url
        assert any(name.startswith(asset.mirror + "/") for name in manifest), asset.name
    e3c = [n for n in manifest if n.startswith("e3c/data_annotation/Spanish/layer1/")]
    assert len(e3c) == 36 + 45


def test_project_yml_parses_as_plain_yaml():
    data = srsly.read_yaml(ROOT / "project.yml")
    assert data["vars"]["translator"] == "apertium" and data["vars"]["profile"] == "quick"


def test_control_script_reads_the_plan_and_names_a_missing_one(tmp_path):
    """scripts/control_matched_steps.sh trains target-only for 3 x the plan's max_steps with the
    plan's overrides; without a plan it says which command to run first."""
    import subprocess
    import sys

    script = ROOT / "scripts" / "control_matched_steps.sh"
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "PROFILE": "quick"}
    proc = subprocess.run(["bash", str(script)], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert proc.returncode == 1 and "training/quick/plan.json: no plan" in proc.stderr
    # with a plan, the steps and overrides come from it (a fake `python` shows the train command)
    plan = make_plan(profile="quick", langs=["es"], ks=["all"], seeds=[1], max_steps=7, eval_frequency=7,
                     translator="apertium")
    plan.settings.update(encoder="enc", overrides=["--training.batcher.size", "1000"])
    plan.to_disk(tmp_path / "training/quick/plan.json")
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "python").write_text(f'#!/bin/sh\nif [ "$1" = "-c" ]; then exec {sys.executable} "$@"; fi\necho "$@"\n')
    (fake / "python").chmod(0o755)
    env["PATH"] = f"{fake}:{env['PATH']}"
    proc = subprocess.run(["bash", str(script)], cwd=tmp_path, env={**env, "LANGS": "es"}, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    train = next(line for line in proc.stdout.splitlines() if line.startswith("-m spacy train"))
    assert "--training.max_steps 21" in train and "--training.batcher.size 1000" in train
    assert "target_only_21steps/es" in train


def test_every_file_dep_exists_or_is_made_by_a_command():
    """A dep naming a file (not a ${vars} path, not another command's output) is in the repo."""
    raw = srsly.read_yaml(ROOT / "project.yml")
    outputs = {out for cmd in raw["commands"] for out in cmd.get("outputs", [])}
    for cmd in raw["commands"]:
        for dep in cmd.get("deps", []):
            if "${" in dep or dep in outputs or any(dep.startswith(out + "/") for out in outputs):
                continue
            assert Path(dep).suffix, f"{cmd['name']}: dep {dep} is neither a file nor another command's output"
            assert (ROOT / dep).is_file(), f"{cmd['name']}: dep {dep} does not exist"


# Code every training run executes besides the modules its config names: helpers of those
# modules, and the runner that writes the command line and the signature.
TRAINING_CODE = {
    "clinner_spacy/pipeline/loss.py", "clinner_spacy/pipeline/tags.py", "clinner_spacy/models/freeze_spec.py",
    "clinner_spacy/models/l2sp.py", "clinner_spacy/evaluation/scoring.py", "clinner_spacy/evaluation/spans.py",
    "clinner_spacy/util.py", "clinner_spacy/project/runner.py", "clinner_spacy/project/signature.py",
}


def _entry_point_modules():
    """Registered name -> the package file that defines it (pyproject.toml entry points)."""
    import tomllib

    groups = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]
    return {name: target.split(":")[0].replace(".", "/") + ".py"
            for group, names in groups.items() if group.startswith("spacy_") for name, target in names.items()}


def _registered_names(config_path):
    text = (ROOT / config_path).read_text()
    return set(re.findall(r'(?:@\w+|factory)"?\s*[=:]\s*"([^"]+)"', text))


def test_train_commands_list_the_code_of_their_models(config):
    """Every train-* command depends on the files defining what its config names (transferred
    runs also run the source config's architectures), and on the runner."""
    modules = _entry_point_modules()
    source_names = _registered_names("configs/source.cfg")
    trains = {name: cmd for name, cmd in _commands(config).items() if re.match(r"(dialogue-)?train-", name)}
    assert len(trains) == 10
    baseline = trains.pop("train-baseline")  # spaCy's own ner: no clinner model code, but the runner
    assert {"configs/baseline/spacy_cnn.cfg", "clinner_spacy/project/runner.py",
            "clinner_spacy/project/curve.py"} <= set(baseline["deps"])
    for name, cmd in trains.items():
        configs = [dep for dep in cmd["deps"] if dep.startswith("configs/")]
        assert configs, name
        names = source_names.union(*(_registered_names(c) for c in configs))
        needed = {modules[n] for n in names if n in modules} | TRAINING_CODE
        assert "clinner_spacy/models/frozen.py" in needed and "clinner_spacy/pipeline/ner.py" in needed
        missing = needed - set(cmd["deps"])
        assert not missing, f"{name}: deps lack {sorted(missing)}"
