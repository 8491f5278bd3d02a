"""Dialogue workflow commands: dialogue-plan, dialogue-zero-shot, dialogue-self-training-data.

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
                              overrides=[str(o) for o in settings.get("overrides") or []])
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
    threshold: float = typer.Option(
        0.9,
        "--threshold",
        help="Confidence threshold for keeping a pseudo-labelled unit (tune on dev only)",
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

    try:
        rows = build_self_training_data(Plan.from_disk(plan_path), raw=raw, gold_train=gold_train,
                                        threshold=threshold, unit=unit, limit=limit)
    except (FileNotFoundError, ValueError) as err:
        msg.fail(str(err), exits=1)
    for row in rows:
        msg.good(f"{row['output']}: {row['train_docs']} docs ({row['docs']} pseudo-labelled from "
                 f"{row['dialogues']} dialogues; units {row['units']}; entities {row['entities']})")
