"""`clinner annotate`: a spaCy pipeline over a corpus of texts, entities out as character offsets."""
from pathlib import Path
from typing import Optional

import typer
from wasabi import msg

from .app import app

#: skipped records listed on the terminal (all of them are in the summary JSON)
SHOW_SKIPS = 20


@app.command("annotate")
def annotate_cli(
    input_path: Path = typer.Argument(
        ...,
        help="Input: .jsonl (a 'text' field, optional 'id'), .txt (one document per line) or .parquet",
    ),
    model: str = typer.Argument(
        ...,
        help="Pipeline folder or installed package name (spacy.load)",
    ),
    output: Path = typer.Argument(
        ...,
        help="Output .jsonl or .parquet file ({id, text, entities: [{start, end, label, text}]}); "
        "with --shard-size, a folder of part-NNNNN files",
    ),
    output_format: Optional[str] = typer.Option(
        None,
        "--format",
        help="jsonl or parquet; default from the output suffix (jsonl for a shard folder)",
    ),
    batch_size: int = typer.Option(
        64,
        "--batch-size",
        help="Documents per batch (nlp.pipe, one memory zone, one Ray task)",
    ),
    shard_size: Optional[int] = typer.Option(
        None,
        "--shard-size",
        help="Write OUTPUT/part-00000... of this many input records each; a rerun skips complete shards",
    ),
    text_field: str = typer.Option(
        "text",
        "--text-field",
        help="JSONL key / Parquet column holding the text",
    ),
    id_field: str = typer.Option(
        "id",
        "--id-field",
        help="JSONL key / Parquet column holding the id (default ids: <file stem>:<line or row>)",
    ),
    engine: str = typer.Option(
        "local",
        "--engine",
        help="local (this process) or ray (Ray Data, one pipeline per worker; docs/ray.md)",
    ),
    address: Optional[str] = typer.Option(
        None,
        "--address",
        help="ray: an existing cluster (host:port, ray://host:port or auto); default a local one",
    ),
    num_workers: Optional[int] = typer.Option(
        None,
        "--num-workers",
        help="ray: pipeline actors (each loads the pipeline once); default 2",
    ),
    connect_timeout: Optional[float] = typer.Option(
        None,
        "--connect-timeout",
        help="ray: seconds to wait for --address before giving up; default 10",
    ),
    skip_invalid: bool = typer.Option(
        False,
        "--skip-invalid",
        help="Skip records with bad JSON or no text (counted and listed) instead of failing",
    ),
    summary_path: Optional[Path] = typer.Option(
        None,
        "--summary",
        help="Write the run's summary (counts, skips, docs/s) to this JSON file",
    ),
    force: bool = typer.Option(
        False,
        "--force",
        help="Overwrite the output file, or remove a shard folder's parts from another run (never the input)",
    ),
    allow_empty: bool = typer.Option(
        False,
        "--allow-empty",
        help="Accept an input without documents (writes an empty output) instead of failing",
    ),
) -> None:
    """Annotate texts with a spaCy pipeline; write the entities as character offsets."""
    import srsly

    from ..annotate.run import annotate_corpus
    from ..checks import check_output_file

    options = {"address": address, "num_workers": num_workers, "connect_timeout": connect_timeout}
    if engine == "ray":
        import logging

        # Ray Data logs every execution plan at INFO; the command prints its own progress
        logging.getLogger("ray.data").setLevel(logging.WARNING)
    try:
        check_output_file(summary_path, inputs=[input_path, output], force=force)
        summary = annotate_corpus(
            input_path=input_path, model=model, output=output, fmt=output_format, batch_size=batch_size,
            shard_size=shard_size, engine=engine, engine_options=options, text_field=text_field,
            id_field=id_field, skip_invalid=skip_invalid, force=force, allow_empty=allow_empty, show_progress=None,
        )
    except (FileNotFoundError, FileExistsError, ValueError, ImportError, ConnectionError, RuntimeError) as err:
        msg.fail(str(err), exits=1)
    if summary_path is not None:
        srsly.write_json(summary_path, summary)
    rate = f", {summary['docs_per_second']} docs/s" if summary["docs_per_second"] else ""
    where = str(output)
    if "shards" in summary:
        where += f" ({summary['shards_written']} shards written, {summary['shards_complete_before']} already complete)"
    msg.good(f"{summary['docs']} docs, {summary['entities']} entities -> {where}{rate}")
    if summary["skipped"]:
        msg.warn(f"{summary['skipped']} invalid record(s) skipped")
        for line in summary["skips"][:SHOW_SKIPS]:
            msg.text(f"  skipped {line}")
        if summary["skipped"] > SHOW_SKIPS:
            msg.text(f"  ... and {summary['skipped'] - SHOW_SKIPS} more" + (f" (all in {summary_path})" if summary_path else ""))
