"""`clinner results`: the results page and learning curve from a profile's metrics files."""
from pathlib import Path
from typing import List, Optional

import typer
from wasabi import msg

from .app import app


@app.command("results")
def results_cli(
    metrics_dir: Path = typer.Option(
        ...,
        "--metrics-dir",
        exists=True,
        file_okay=False,
        help="Metrics folder of a profile: <lang>/<arm>[_k<k>]_s<seed>.json inside",
    ),
    output: Path = typer.Option(
        Path("docs/results.md"),
        "--output",
        help="Markdown file to write",
    ),
    plot: Path = typer.Option(
        Path("docs/learning_curve.png"),
        "--plot",
        help="Learning-curve PNG to write (linked from the markdown)",
    ),
    dev_curves: Path = typer.Option(
        None,
        "--dev-curves",
        help="PNG of every run's dev curve to write (from the plans' train_log.jsonl files; needs --curve-plan)",
    ),
    source_corpora: str = typer.Option(
        "",
        "--source-corpora",
        help="The source model's training corpora, as stated on the page (default: E3C-en layer 1)",
    ),
    curve_plan: List[Path] = typer.Option(
        [],
        "--curve-plan",
        help="Plan JSON whose runs' dev curves are drawn (repeatable: the main and the dialogue plan)",
    ),
    projection_report: List[Path] = typer.Option(
        [],
        "--projection-report",
        exists=True,
        dir_okay=False,
        help="Projection report JSON of translated data (repeatable)",
    ),
    profile: str = typer.Option(
        "",
        "--profile",
        help="Profile name, stated on the page",
    ),
    translator: str = typer.Option(
        "apertium",
        "--translator",
        help="Translator used, stated on the page",
    ),
    encoder: str = typer.Option(
        "e5-small",
        "--encoder",
        help="Encoder used, stated on the page",
    ),
    command: str = typer.Option(
        "",
        "--command",
        help="The command that produced the metrics, stated on the page",
    ),
    date: Optional[str] = typer.Option(
        None,
        "--date",
        help="Date stated on the page (default: today)",
    ),
    machine: Optional[str] = typer.Option(
        None,
        "--machine",
        help="Machine stated on the page (default: detected, e.g. '2-core CPU, 24 GiB, no GPU')",
    ),
    plan: Optional[Path] = typer.Option(
        None,
        "--plan",
        exists=True,
        dir_okay=False,
        help="The profile's plan JSON (clinner plan): its steps and config overrides are stated on the page",
    ),
    langs: str = typer.Option(
        "",
        "--langs",
        help="Targets in table order, space separated (default: every folder but en)",
    ),
    dialogue_labels: str = typer.Option(
        "DISORDER DRUG ANATOMY",
        "--dialogue-labels",
        help="Labels of the dialogue table, space separated",
    ),
    dialogue_sources: str = typer.Option(
        "E3C-en and NeuroTrialNER",
        "--dialogue-sources",
        help="The written-text corpora of the dialogue source model, in words, stated on the page",
    ),
    dialogue_threshold: Optional[Path] = typer.Option(
        None,
        "--dialogue-threshold",
        dir_okay=False,
        help="The dialogue-threshold JSON (the self-training threshold chosen on dev), shown under the dialogue table",
    ),
) -> None:
    """Write the results page (transfer table with CIs, per-label tables, projection statistics) and plot."""
    from ..reporting.results import write_results

    try:
        if dev_curves is not None:
            from ..reporting.dev_curves import plot_dev_curves

            plot_dev_curves(curve_plan, dev_curves)
        info = write_results(metrics_dir=metrics_dir, output=output, plot=plot, projection_reports=projection_report,
                             profile=profile, translator=translator, encoder=encoder, command=command, date=date,
                             machine=machine, langs=langs.split() or None, plan=plan,
                             dialogue_labels=dialogue_labels.replace(",", " ").split(), dialogue_sources=dialogue_sources,
                             dialogue_threshold=dialogue_threshold, dev_curves=dev_curves,
                             source_corpora=source_corpora)
    except (FileNotFoundError, ValueError) as err:
        msg.fail(str(err), exits=1)
    msg.good(f"{info['output']} and {info['plot']} from {info['records']} metrics files "
             f"(targets: {', '.join(info['targets'])})")
