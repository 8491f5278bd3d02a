"""`clinner convert` and `clinner stats`: corpora to DocBins, and what they hold."""
import os
from pathlib import Path
from typing import List

import typer
from wasabi import msg

from ..corpora.build import check_corpus_output, check_fractions, convert_corpus
from ..corpora.registry import CORPORA
from ..corpora.stats import corpus_stats, stats_tables
from .app import app

DEFAULT_DATA = Path(os.environ.get("CLINNER_DATA", "../shared/data"))


@app.command("convert")
def convert_cli(
    corpora: List[str] = typer.Argument(..., help=f"Corpus names: {', '.join(CORPORA)}"),
    data_dir: Path = typer.Option(DEFAULT_DATA, "--data-dir", help="Shared data folder (with e3c/, spaccc/, ...); env CLINNER_DATA"),
    output: Path = typer.Option(Path("corpus"), "--output", "-o", help="Output folder; each corpus goes to OUTPUT/NAME/"),
    force: bool = typer.Option(False, "--force", help="Overwrite existing DocBins and reports"),
    skip_invalid: bool = typer.Option(
        False, "--skip-invalid",
        help="Skip every document with an error of its own (offsets, span text, labels, encoding, XML, a JSON "
        "line or record, a missing .txt/.ann, a text already in another split), listed and counted, instead of "
        "stopping; errors of a whole file (a JSON list, a TSV or CoNLL file) still stop",
    ),
    allow_empty: bool = typer.Option(
        False, "--allow-empty",
        help="Write a split that comes out empty (e.g. a carve of too few documents) as an empty DocBin instead of failing",
    ),
    dev_fraction: float = typer.Option(0.2, "--dev-fraction", help="Share of train documents carved into dev where there is no official dev"),
    test_fraction: float = typer.Option(0.2, "--test-fraction", help="Share of documents carved into test where there is no official test"),
    seed: int = typer.Option(0, "--seed", help="Seed of the document-level carves"),
) -> None:
    """Convert corpora to one DocBin per split, with a conversion report, and print their statistics."""
    for name in corpora:
        if name not in CORPORA:
            msg.fail(f"Unknown corpus {name!r}", f"Known: {', '.join(CORPORA)}", exits=1)
    # every corpus's output is checked before the first is converted
    try:
        check_fractions(dev_fraction=dev_fraction, test_fraction=test_fraction)
        for name in corpora:
            check_corpus_output(name, output, force=force)
    except (FileExistsError, ValueError) as err:
        msg.fail("Nothing converted", str(err), exits=1)
    for name in corpora:
        try:
            report = convert_corpus(
                name,
                data_dir=data_dir,
                output_dir=output,
                force=force,
                skip_invalid=skip_invalid,
                allow_empty=allow_empty,
                dev_fraction=dev_fraction,
                test_fraction=test_fraction,
                seed=seed,
                show_progress=True,
            )
        except (ValueError, OSError, RuntimeError) as err:
            msg.fail(f"Could not convert {name}", str(err), exits=1)
        msg.good(f"Converted {name} to {output / name}")
        if report.skipped:
            msg.warn(f"{len(report.skipped)} invalid document(s) skipped, also listed in {output / name / 'report.md'}:")
            for item in report.skipped:
                msg.text(f"  skipped {item['doc_id']} ({item['split']}): {item['reason']}")
        _print_stats(output / name)


@app.command("stats")
def stats_cli(
    corpus_dir: Path = typer.Argument(..., help="A converted corpus folder, e.g. corpus/e3c-en", exists=True, file_okay=False),
) -> None:
    """Print documents, sentences, tokens and entities per label per split, and what conversion changed."""
    _print_stats(corpus_dir)


def _print_stats(corpus_dir: Path) -> None:
    try:
        stats = corpus_stats(corpus_dir)
    except FileNotFoundError as err:
        msg.fail(str(err), exits=1)
    msg.divider(str(corpus_dir))
    for title, header, rows in stats_tables(stats):
        msg.text(title)
        if rows:
            msg.table(rows, header=header, divider=True)
        else:
            msg.text("  (none)\n")
    report = stats["report"]
    if report is not None:
        for note in report.notes:
            msg.info(note)
