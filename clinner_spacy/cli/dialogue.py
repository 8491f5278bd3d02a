"""Dialogue commands: annotate-dialogue, convert-raw-dialogue, pseudo-label."""
from pathlib import Path
from typing import List, Optional

import typer
from wasabi import msg

from .app import app


@app.command("annotate-dialogue")
def annotate_dialogue_cli(
    input_path: Path = typer.Argument(
        ...,
        help="Dialogues: .jsonl with \"text\" (and \"id\"), .txt with speaker prefixes and a blank line "
        "between dialogues, or .spacy",
    ),
    model: str = typer.Option(
        ...,
        "--model",
        "-m",
        help="Pipeline to run: a package name or a path to a pipeline directory",
    ),
    output: Path = typer.Option(
        ...,
        "--output",
        "-o",
        help="JSONL to write: id, text, entities as [start, end, label] character offsets into text",
    ),
    html: Optional[Path] = typer.Option(
        None,
        "--html",
        help="Also write a displaCy entity view of the dialogues to this HTML file",
    ),
    html_limit: int = typer.Option(
        200,
        "--html-limit",
        help="Show at most this many dialogues in the HTML view",
    ),
    add_components: bool = typer.Option(
        True,
        "--add-dialogue-components/--no-add-dialogue-components",
        help="Add clinner_dialogue_turns and clinner_speaker_guard where the pipeline lacks them",
    ),
    batch_size: int = typer.Option(
        8,
        "--batch-size",
        help="Dialogues per batch",
    ),
    force: bool = typer.Option(
        False,
        "--force",
        help="Overwrite --output and --html if they exist (never the input file)",
    ),
    allow_empty: bool = typer.Option(
        False,
        "--allow-empty",
        help="Accept an input without dialogues (writes an empty output) instead of failing",
    ),
) -> None:
    """Annotate a dialogue file with a pipeline; write JSONL with exact offsets (and HTML)."""
    from ..dialogue.annotate import annotate_dialogues

    try:
        stats = annotate_dialogues(
            input_path=input_path, model=model, output=output, html=html, html_limit=html_limit,
            add_components=add_components, batch_size=batch_size, force=force, allow_empty=allow_empty,
        )
    except (ValueError, FileNotFoundError, FileExistsError) as err:
        msg.fail("Could not annotate the dialogues", str(err), exits=1)
    msg.good(f"{stats['dialogues']} dialogues, {stats['entities']} entities written to {output}")
    labels = {k[len("entities_"):]: v for k, v in stats.items() if k.startswith("entities_")}
    msg.text(f"per label: {labels}; speaker guard trimmed {stats['guard_trimmed']}, removed {stats['guard_removed']}")
    if html is not None:
        msg.good(f"HTML view of {stats['html_dialogues']} dialogues written to {html}")


@app.command("convert-raw-dialogue")
def convert_raw_dialogue_cli(
    data_dir: Path = typer.Option(
        ...,
        "--data-dir",
        help="The raw dialogue folder (../shared/data/dialogue/raw)",
        exists=True,
        file_okay=False,
    ),
    output: Path = typer.Option(
        ...,
        "--output",
        "-o",
        help="DocBin to write (e.g. corpus/dialogue-raw/raw.spacy)",
    ),
    sources: List[str] = typer.Option(
        ["mts_dialog", "aci_bench", "primock57"],
        "--source",
        help="Raw corpora to read; repeat the option for several",
    ),
    aci_format: str = typer.Option(
        "csv",
        "--aci-format",
        help="ACI-Bench copy to read: csv (challenge_data) or json (challenge_data_json)",
    ),
    exclude: str = typer.Option(
        "candidates",
        "--exclude",
        help="candidates: hold out every MTS-Dialog training row meeting the gold selection rule "
        "(gold train/dev/test come from them); none: keep them",
    ),
    gold_dir: Optional[Path] = typer.Option(
        None,
        "--gold-dir",
        help="Folder of gold dialogue JSONL files whose texts are held out as well",
    ),
) -> None:
    """Collect the unlabelled dialogues (de-duplicated, gold held out) into one DocBin."""
    from ..dialogue.raw_docbin import convert_raw_dialogue

    counts = convert_raw_dialogue(
        data_dir=data_dir, output=output, sources=sources, aci_format=aci_format, exclude=exclude, gold_dir=gold_dir
    )
    keys = ["read", "kept", "duplicate", "gold_candidate", "excluded_text", "empty", "chars", "tokens"]
    rows = [[source] + [counts[source].get(k, 0) for k in keys] for source in counts]
    rows.append(["total"] + [sum(counts[s].get(k, 0) for s in counts) for k in keys])
    msg.table(rows, header=["source"] + keys, divider=True)
    msg.good(f"{rows[-1][2]} dialogues written to {output}")


@app.command("pseudo-label")
def pseudo_label_cli(
    inputs: List[Path] = typer.Argument(
        ...,
        help="Raw dialogues: .spacy from convert-raw-dialogue, .jsonl or .txt",
        exists=True,
        dir_okay=False,
    ),
    model: str = typer.Option(
        ...,
        "--model",
        "-m",
        help="Trained pipeline that labels them (the transferred dialogue model)",
    ),
    output: Path = typer.Option(
        ...,
        "--output",
        "-o",
        help="DocBin of pseudo-labelled docs to write",
    ),
    threshold: float = typer.Option(
        0.9,
        "--threshold",
        help="Keep a unit when its minimum token confidence reaches this",
    ),
    unit: str = typer.Option(
        "sentence",
        "--unit",
        help="sentence: one doc per kept turn/sentence; doc: whole dialogues, rejected units as missing",
    ),
    scope: str = typer.Option(
        "all",
        "--scope",
        help="all: every token of a unit must be confident; entities: only its entity tokens",
    ),
    min_entities: int = typer.Option(
        0,
        "--min-entities",
        help="Drop units with fewer predicted entities than this",
    ),
    limit: int = typer.Option(
        0,
        "--limit",
        help="Pseudo-label only the first N dialogues (0: all)",
    ),
    batch_size: int = typer.Option(
        8,
        "--batch-size",
        help="Dialogues per batch",
    ),
) -> None:
    """Pseudo-label unlabelled dialogue with a trained pipeline, keeping confident units."""
    from ..training.self_training import pseudo_label

    stats = pseudo_label(
        inputs=inputs, model=model, output=output, threshold=threshold, unit=unit, scope=scope,
        min_entities=min_entities, limit=limit, batch_size=batch_size,
    )
    msg.good(f"{stats['docs']} pseudo-labelled docs from {stats['dialogues']} dialogues written to {output}")
    msg.text(f"units: {stats['units']}; entities: {stats['entities']}; confidence from: {stats['tagger'] or 'proxy (1.0)'}")
