"""`clinner evaluate`: strict and lenient span scores, bootstrap interval, JSON and markdown."""
from pathlib import Path
from typing import List, Optional

import typer
from wasabi import msg

from .app import app

# `--labels DISORDER ANATOMY`: click options take one value each, so the values after the
# first one arrive as extra arguments (context_settings below) and are added to --labels.
EXTRA_ARGS = {"allow_extra_args": True, "ignore_unknown_options": False}


@app.command("evaluate", context_settings=EXTRA_ARGS)
def evaluate_cli(
    ctx: typer.Context,
    gold: Path = typer.Argument(
        ...,
        help="Gold DocBin (.spacy)",
        exists=True,
        dir_okay=False,
    ),
    pred: Optional[Path] = typer.Option(
        None,
        "--pred",
        help="Predicted DocBin (.spacy): the same documents in the same order",
        exists=True,
        dir_okay=False,
    ),
    model: Optional[str] = typer.Option(
        None,
        "--model",
        help="Pipeline directory or package to run on the gold texts (instead of --pred)",
    ),
    output: Optional[Path] = typer.Option(
        None,
        "--output",
        help="Write the metrics as JSON here",
    ),
    markdown: Optional[Path] = typer.Option(
        None,
        "--markdown",
        help="Write the metrics table as markdown here",
    ),
    labels: List[str] = typer.Option(
        [],
        "--labels",
        help="Score only these labels, e.g. --labels DISORDER ANATOMY (default: all)",
    ),
    bootstrap: int = typer.Option(
        1000,
        "--bootstrap",
        help="Bootstrap resamples over documents for the 95% interval of micro F1 (0: none)",
    ),
    seed: int = typer.Option(
        0,
        "--seed",
        help="Bootstrap seed",
    ),
    batch_size: int = typer.Option(
        8,
        "--batch-size",
        help="Batch size when running --model",
    ),
    force: bool = typer.Option(
        False,
        "--force",
        help="Overwrite --output and --markdown if they exist (never GOLD or --pred)",
    ),
    allow_empty: bool = typer.Option(
        False,
        "--allow-empty",
        help="Score a GOLD file without documents instead of failing",
    ),
) -> None:
    """Score predictions (--pred) or a pipeline (--model) against GOLD and print the table."""
    from ..checks import check_output_files
    from ..evaluation.evaluate import evaluate_files
    from ..evaluation.report import to_markdown, write_json, write_markdown

    label_list = list(labels) + list(ctx.args)
    if ctx.args and not labels:
        msg.fail(f"unexpected arguments {ctx.args}", exits=1)
    if (pred is None) == (model is None):
        msg.fail("give exactly one of --pred PRED.spacy or --model PIPELINE", exits=1)
    try:
        check_output_files([output, markdown], inputs=[gold, pred], force=force)
        metrics = evaluate_files(
            gold=gold,
            pred=pred,
            model=model,
            labels=label_list or None,
            n_bootstrap=bootstrap,
            seed=seed,
            batch_size=batch_size,
            allow_empty=allow_empty,
        )
    except (ValueError, FileNotFoundError, OSError) as err:
        msg.fail(str(err), exits=1)
    title = f"{gold.name} vs {pred.name if pred else model}"
    print(to_markdown(metrics, title=title))
    if output:
        write_json(metrics, output)
        msg.good(f"Metrics written to {output}")
    if markdown:
        write_markdown(metrics, markdown, title=title)
        msg.good(f"Markdown written to {markdown}")
