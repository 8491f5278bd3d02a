"""Dialogue workflow commands: dialogue-plan, dialogue-zero-shot, dialogue-threshold, dialogue-self-training-data.

Training and scoring reuse `clinner run-arm` and `clinner evaluate-plan` on the dialogue plan.
"""
from pathlib import Path

import typer
from wasabi import msg

from .app import app


@app.command("dialogue-plan")
def dialogue_plan_cli(
    from_plan: Path = typer.Option(
        ...,
        "--from-plan",
        exists=True,
        dir_okay=False,
        help="The main plan JSON (clinner plan): profile, seeds, steps, encoder and config overrides are taken from it",
    ),
    output: Path = typer.Option(
        ...,
        "--output",
        "-o",
        help="Where to write the dialogue plan JSON",
    ),
    ks: str = typer.Option(
        "10 25 all",
        "--ks",
        help="Numbers of gold dialogues for target-only and transferred + k (space separated; all = 75)",
    ),
) -> None:
    """Write the runs and evaluations of the dialogue arms (read by run-arm and evaluate-plan)."""
    from ..dialogue.plan import make_dialogue_plan
    from ..project.plan import Plan, parse_list

    main = Plan.from_disk(from_plan)
    settings = main.settings
    plan = make_dialogue_plan(profile=main.profile, ks=parse_list(ks), seeds=[int(s) for s in settings["seeds"]],
                              max_steps=int(settings["max_steps"]), eval_frequency=int(settings["eval_frequency"]),
                              encoder=str(settings.get("encoder") or ""),
                              overrides=[str(o) for o in settings.get("overrides") or []],
                              configs_dir=str(settings.get("configs_dir") or "configs"),
                              patience=settings.get("patience"), source_patience=settings.get("source_patience"))
    plan.to_disk(output)
    msg.good(f"dialogue plan {plan.profile}: {len(plan.runs)} training runs, {len(plan.evaluations)} evaluations -> {output}")


@app.command("dialogue-zero-shot")
def dialogue_zero_shot_cli(
    plan_path: Path = typer.Option(
        ...,
        "--plan",
        exists=True,
        dir_okay=False,
        help="The dialogue plan JSON (clinner dialogue-plan)",
    ),
) -> None:
    """Save each source model with the dialogue components added (the zero_shot_guard arm)."""
    from ..dialogue.plan import build_guarded_zero_shot
    from ..project.plan import Plan

    for path in build_guarded_zero_shot(Plan.from_disk(plan_path)):
        msg.good(f"source model + clinner_dialogue_turns + clinner_speaker_guard -> {path}")


@app.command("dialogue-self-training-data")
def dialogue_self_training_data_cli(
    plan_path: Path = typer.Option(
        ...,
        "--plan",
        exists=True,
        dir_okay=False,
        help="The dialogue plan JSON (clinner dialogue-plan)",
    ),
    raw: Path = typer.Option(
        ...,
        "--raw",
        exists=True,
        dir_okay=False,
        help="Raw dialogues from convert-raw-dialogue (.spacy)",
    ),
    gold_train: Path = typer.Option(
        ...,
        "--gold-train",
        exists=True,
        dir_okay=False,
        help="Gold dialogue training DocBin, merged with the pseudo-labelled docs",
    ),
    threshold: str = typer.Option(
        "auto",
        "--threshold",
        help="Confidence threshold for keeping a pseudo-labelled unit, or 'auto': each seed's threshold chosen on dev by dialogue-threshold (--sweep)",
    ),
    sweep_path: Path = typer.Option(
        None,
        "--sweep",
        dir_okay=False,
        help="The dialogue-threshold JSON that --threshold auto reads (threshold and scope)",
    ),
    scope: str = typer.Option(
        "all",
        "--scope",
        help="Confidence scope with a numeric --threshold: all tokens of a turn, or its entity tokens only",
    ),
    unit: str = typer.Option(
        "sentence",
        "--unit",
        help="sentence: a doc per kept turn; doc: whole dialogues with rejected turns missing",
    ),
    limit: int = typer.Option(
        0,
        "--limit",
        help="Pseudo-label only the first N raw dialogues (0: all)",
    ),
) -> None:
    """Pseudo-label raw dialogue with each seed's transferred model and merge it with gold train."""
    from ..dialogue.plan import build_self_training_data
    from ..project.plan import Plan

    import srsly

    if threshold == "auto":
        if sweep_path is None or not sweep_path.is_file():
            msg.fail(f"--threshold auto needs the dialogue-threshold output (--sweep {sweep_path}): run dialogue-threshold first", exits=1)
        sweeps = srsly.read_json(sweep_path)["seeds"]
        chosen = {int(seed): float(res["chosen"]) for seed, res in sweeps.items()}
        scope = {int(seed): str(res.get("scope", "all")) for seed, res in sweeps.items()}
    else:
        try:
            chosen = float(threshold)
        except ValueError:
            msg.fail(f"--threshold must be a number in [0, 1] or 'auto', not {threshold!r}", exits=1)
    try:
        rows = build_self_training_data(Plan.from_disk(plan_path), raw=raw, gold_train=gold_train,
                                        threshold=chosen, unit=unit, scope=scope, limit=limit)
    except (FileNotFoundError, ValueError) as err:
        msg.fail(str(err), exits=1)
    for row in rows:
        msg.good(f"{row['output']}: {row['train_docs']} docs ({row['docs']} pseudo-labelled at threshold {row['threshold']}, scope {row['scope']}, from "
                 f"{row['dialogues']} dialogues; units {row['units']}; entities {row['entities']})")


@app.command("dialogue-threshold")
def dialogue_threshold_cli(
    plan_path: Path = typer.Option(
        ...,
        "--plan",
        exists=True,
        dir_okay=False,
        help="The dialogue plan JSON (clinner dialogue-plan)",
    ),
    gold: Path = typer.Option(
        ...,
        "--gold",
        exists=True,
        dir_okay=False,
        help="Gold dialogue dev DocBin (never the test set)",
    ),
    output: Path = typer.Option(
        ...,
        "--output",
        "-o",
        dir_okay=False,
        help="Where to write the sweep JSON (a .md table is written beside it)",
    ),
    thresholds: str = typer.Option(
        "0.3 0.5 0.7 0.8 0.9 0.95 0.98 0.99",
        "--thresholds",
        help="Candidate thresholds, space separated",
    ),
    min_kept: float = typer.Option(
        0.25,
        "--min-kept",
        help="Least share of dev turns a chosen threshold must keep",
    ),
) -> None:
    """Choose the self-training confidence threshold on the gold dev set: the pseudo-labelling model
    annotates dev, and each candidate is scored by the strict F1 of the turns it would keep."""
    import srsly

    from ..dialogue.plan import choose_thresholds
    from ..project.plan import Plan
    from ..reporting.tables import sweep_table

    try:
        values = [float(t) for t in thresholds.replace(",", " ").split()]
        result = choose_thresholds(Plan.from_disk(plan_path), gold, thresholds=values, min_kept=min_kept)
    except (FileNotFoundError, ValueError) as err:
        msg.fail(str(err), exits=1)
    output.parent.mkdir(parents=True, exist_ok=True)
    srsly.write_json(output, result)
    tables = [f"### seed {seed}\n\n{sweep_table(res)}\n\n{res['rule']}.\n" for seed, res in result["seeds"].items()]
    output.with_suffix(".md").write_text("\n".join(tables), encoding="utf8")
    for seed, res in result["seeds"].items():
        msg.good(f"seed {seed}: threshold {res['chosen']} ({res['rule']})")
        print(sweep_table(res))
