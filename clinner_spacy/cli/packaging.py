"""`clinner package-stage`, `package-stage-dialogue` and `evaluate-package`: packaged pipelines, tested as installed."""
from pathlib import Path
from typing import List, Optional

import typer
from wasabi import msg

from .app import app


@app.command("package-stage")
def package_stage_cli(
    plan_path: Path = typer.Option(..., "--plan", exists=True, dir_okay=False, help="The plan JSON (clinner plan)"),
    lang: str = typer.Option(..., "--lang", help="Target language of the package"),
    name: str = typer.Option("clinner_e3c", "--name", help="Package name without the language prefix"),
    version: str = typer.Option("0.1.0", "--version", help="Package version"),
    encoder: str = typer.Option("e5-small", "--encoder", help="Encoder the models were trained with"),
    translator: str = typer.Option("apertium", "--translator", help="Translator of the translated training data"),
    source_corpora: str = typer.Option("e3c-en", "--source-corpora", help="Corpora of the source model, space separated"),
    output: Path = typer.Option(..., "--output", help="Staging folder: model/ (with README.md) and meta.json"),
    command: str = typer.Option("", "--command", help="Command that produced the scores, for the model card"),
    date: Optional[str] = typer.Option(None, "--date", help="Date of the scores (default: today)"),
    machine: Optional[str] = typer.Option(None, "--machine", help="Machine of the scores (default: detected)"),
) -> None:
    """Choose the best dev model of a language and stage it with meta.json and model card for `spacy package`."""
    from ..packaging.stage import package_stage
    from ..project.plan import Plan

    try:
        info = package_stage(plan=Plan.from_disk(plan_path), lang=lang, name=name, version=version, encoder=encoder,
                             translator=translator, source_corpora=source_corpora.replace(",", " ").split(),
                             output_dir=output, command=command, date=date, machine=machine)
    except FileNotFoundError as err:
        msg.fail(str(err), exits=1)
    msg.good(f"{lang}_{name}: staged {info['run']} (dev ents_f {info['dev']:.3f}, test F1 {info['test']:.3f})",
             f"{info['model']}, {info['meta']}")


@app.command("package-stage-dialogue")
def package_stage_dialogue_cli(
    plan_path: Path = typer.Option(..., "--plan", exists=True, dir_okay=False, help="The dialogue plan JSON (clinner dialogue-plan)"),
    name: str = typer.Option("clinner_dialogue", "--name", help="Package name without the language prefix"),
    lang: str = typer.Option("en", "--lang", help="Language prefix of the package name"),
    version: str = typer.Option("0.1.0", "--version", help="Package version"),
    encoder: str = typer.Option("e5-small", "--encoder", help="Encoder the models were trained with"),
    source_corpora: str = typer.Option("e3c-en neurotrialner", "--source-corpora", help="Corpora of the 3-label source model, space separated"),
    output: Path = typer.Option(..., "--output", help="Staging folder: model/ (with README.md) and meta.json"),
    command: str = typer.Option("", "--command", help="Command that produced the scores, for the model card"),
    date: Optional[str] = typer.Option(None, "--date", help="Date of the scores (default: today)"),
    machine: Optional[str] = typer.Option(None, "--machine", help="Machine of the scores (default: detected)"),
) -> None:
    """Choose the best dialogue arm on the gold dev set and stage it with meta.json and model card for `spacy package`."""
    from ..packaging.dialogue_stage import package_stage_dialogue
    from ..project.plan import Plan

    try:
        info = package_stage_dialogue(plan=Plan.from_disk(plan_path), name=name, lang=lang, version=version,
                                      encoder=encoder, source_corpora=source_corpora.replace(",", " ").split(),
                                      output_dir=output, command=command, date=date, machine=machine)
    except FileNotFoundError as err:
        msg.fail(str(err), exits=1)
    msg.good(f"{lang}_{name}: staged {info['run']} (dev ents_f {info['dev']:.3f}, optimistic: dev also chose it; "
             f"components {', '.join(info['components'])})", f"{info['model']}, {info['meta']}")


@app.command("evaluate-package")
def evaluate_package_cli(
    venv_dir: Path = typer.Option(Path("packages/venv"), "--venv", help="Where the fresh environment is created"),
    clinner_wheel: Path = typer.Option(..., "--clinner-wheel", help="This repository's clinner-spacy wheel"),
    wheel: List[Path] = typer.Option([], "--wheel", help="A pipeline wheel <lang>_<name>-<version>-...whl, scored on e3c-<lang> test (repeatable)"),
    corpus_dir: Path = typer.Option(Path("corpus"), "--corpus-dir", help="Converted corpora (e3c-<lang>/test.spacy)"),
    labels: str = typer.Option("DISORDER ANATOMY", "--labels", help="Labels scored, space separated"),
    bootstrap: int = typer.Option(1000, "--bootstrap", help="Bootstrap resamples for the 95% interval"),
    output_dir: Path = typer.Option(..., "--output-dir", help="Folder for <package>.json metrics"),
    reuse_venv: bool = typer.Option(False, "--reuse-venv", help="Keep an existing environment (development only)"),
    dialogue_wheel: List[Path] = typer.Option([], "--dialogue-wheel", help="A dialogue pipeline wheel, scored on --dialogue-gold (repeatable)"),
    dialogue_gold: Path = typer.Option(Path("corpus/dialogue-gold/dev.spacy"), "--dialogue-gold", help="Gold dialogue DocBin of the dialogue wheels (dev: the test set is not public)"),
    dialogue_labels: str = typer.Option("DISORDER DRUG ANATOMY", "--dialogue-labels", help="Labels scored for the dialogue wheels, space separated"),
) -> None:
    """Install the wheels into a fresh virtual environment and score the installed pipelines on the test sets
    (the dialogue pipelines on the dialogue dev set)."""
    from ..packaging.verify import evaluate_packages, package_name

    scored = dialogue_labels.replace(",", " ").split()
    targets = {package_name(w): (dialogue_gold, scored) for w in dialogue_wheel}
    try:
        rows = evaluate_packages(venv_dir=venv_dir, clinner_wheel=clinner_wheel, wheels=[*wheel, *dialogue_wheel],
                                 corpus_dir=corpus_dir, labels=labels.replace(",", " ").split(), n_bootstrap=bootstrap,
                                 output_dir=output_dir, reuse_venv=reuse_venv, progress=msg.info, targets=targets)
    except (FileNotFoundError, RuntimeError) as err:
        msg.fail(str(err), exits=1)
    fmt = lambda v: "-" if v is None else f"{100 * v:.1f}"  # noqa: E731
    msg.table([(r["package"], fmt(r["f"]), fmt(r["reference_f"]), r["seconds"]) for r in rows],
              header=("installed package", "F1 installed", "F1 model dir", "seconds"))
    for r in rows:
        if r["f"] is not None and r["reference_f"] is not None and abs(r["f"] - r["reference_f"]) > 1e-6:
            msg.warn(f"{r['package']}: installed F1 differs from the model directory's")
