"""annotate_corpus: the function behind `clinner annotate`.

Order of work: check the input and output paths, read the whole input once to validate it
(every bad line is found before the pipeline loads, which can take a minute, and the count
gives the progress bar its total), load the pipeline, then stream the records through an
engine (local.py, ray_engine.py) into one output file or into shards (shards.py).
"""
import time
from collections import Counter
from itertools import islice
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Union

from spacy.language import Language

from ..checks import check_input_file, check_not_empty, check_output_dir, check_output_file
from ..progress import Progress, ProgressCallback
from ..util import logger
from .io import INPUT_SUFFIXES, output_format, read_records, write_records
from .local import Annotated, LocalEngine
from .shards import file_digest, part_path, prepare_out_dir

ENGINES = ("local", "ray")


def scan_input(path: Path, *, text_field: str, id_field: str, skip_invalid: bool, shard_size: Optional[int]) -> Dict[str, Any]:
    """Read the input once: count valid records (per shard) and collect the invalid ones.

    RETURNS (Dict[str, Any]): "valid", "records" (valid and invalid), "skips" (messages),
        "per_shard" (valid records per shard, when shard_size).
    """
    skips: List[str] = []
    per_shard: Counter = Counter()
    valid = 0
    on_error = (lambda err: skips.append(str(err))) if skip_invalid else None
    for record in read_records(path, text_field=text_field, id_field=id_field, on_error=on_error):
        valid += 1
        if shard_size:
            per_shard[record.ordinal // shard_size] += 1
    records = valid + len(skips)  # every record, valid or not, has one ordinal
    scan = {"valid": valid, "records": records, "skips": skips}
    if shard_size:
        n_shards = -(-records // shard_size)
        scan["per_shard"] = [per_shard[k] for k in range(n_shards)]
    return scan


def model_identity(model: Union[str, Path, Language], nlp: Language) -> Dict[str, Any]:
    """RETURNS (Dict[str, Any]): what the manifest records of the pipeline (path and meta)."""
    given = str(Path(model).resolve()) if isinstance(model, (str, Path)) and Path(model).exists() else (
        str(model) if isinstance(model, (str, Path)) else "<Language object>"
    )
    meta = nlp.meta
    return {"model": given, "model_meta": {k: meta.get(k) for k in ("lang", "name", "version")}, "pipeline": nlp.pipe_names}


def check_engine_options(name: str, options: Dict[str, Any]) -> None:
    """Refuse an unknown engine, or Ray options given to the local one (before any work)."""
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}; choose one of: {', '.join(ENGINES)}")
    given = [k for k, v in options.items() if v is not None]
    if name == "local" and given:
        raise ValueError(f"{', '.join('--' + k.replace('_', '-') for k in given)} apply to --engine ray, not local")
    if name == "ray":
        from .ray_engine import require_ray

        require_ray()


def make_engine(name: str, nlp: Language, *, model: Union[str, Path, Language], batch_size: int, **options: Any):
    """Create an annotation engine.

    name (str): "local" or "ray".
    nlp (Language): the loaded pipeline.
    model: the pipeline as given (the Ray engine ships the loaded one to its workers).
    batch_size (int): documents per batch.
    **options: the Ray engine's address, num_workers, connect_timeout.
    """
    check_engine_options(name, options)
    if name == "local":
        return LocalEngine(nlp, batch_size=batch_size)
    if name == "ray":
        from .ray_engine import RayEngine

        return RayEngine(nlp, batch_size=batch_size, **{k: v for k, v in options.items() if v is not None})
    raise ValueError(f"unknown engine {name!r}; choose one of: {', '.join(ENGINES)}")


def annotate_corpus(
    *,
    input_path: Union[str, Path],
    model: Union[str, Path, Language],
    output: Union[str, Path],
    fmt: Optional[str] = None,
    batch_size: int = 64,
    shard_size: Optional[int] = None,
    engine: str = "local",
    engine_options: Optional[Dict[str, Any]] = None,
    text_field: str = "text",
    id_field: str = "id",
    skip_invalid: bool = False,
    force: bool = False,
    allow_empty: bool = False,
    show_progress: Optional[bool] = None,
    progress_callback: Optional[ProgressCallback] = None,
) -> Dict[str, Any]:
    """Annotate a corpus with a spaCy pipeline; write entities as character offsets.

    input_path (Union[str, Path]): .jsonl ({"text", "id"}), .txt (one document per line) or .parquet.
    model (Union[str, Path, Language]): a pipeline folder or package name (spacy.load), or a pipeline.
    output (Union[str, Path]): the output file (.jsonl or .parquet); with shard_size, a folder.
    fmt (Optional[str]): "jsonl" or "parquet"; default from the output suffix (jsonl for a folder).
    batch_size (int): documents per batch (nlp.pipe and memory zone; one Ray task).
    shard_size (Optional[int]): write out_dir/part-NNNNN files of this many input records each,
        and skip the complete ones on a rerun (shards.py).
    engine (str): "local" or "ray".
    engine_options (Optional[Dict[str, Any]]): the Ray engine's address, num_workers, connect_timeout.
    text_field (str), id_field (str): input keys (JSONL) or columns (Parquet).
    skip_invalid (bool): skip invalid records, counted and listed, instead of failing.
    force (bool): overwrite the output file, or remove a shard folder's parts of another run.
    allow_empty (bool): accept an input without valid records.
    show_progress (Optional[bool]): progress bar (docs/s, time left); None: on a terminal only.
    progress_callback (Optional[ProgressCallback]): called with (done, total, seconds).
    RETURNS (Dict[str, Any]): the run's summary (docs, entities per label, skips, shards, docs/s).
    """
    from ..dialogue.annotate import load_pipeline

    if batch_size < 1:
        raise ValueError(f"batch size must be at least 1, got {batch_size}")
    if shard_size is not None and shard_size < 1:
        raise ValueError(f"shard size must be at least 1, got {shard_size}")
    check_engine_options(engine, engine_options or {})
    input_path = check_input_file(input_path, suffixes=INPUT_SUFFIXES, what="annotate input")
    output = Path(output)
    if shard_size:
        check_output_dir(output)
        fmt = output_format(output, fmt or "jsonl")
    else:
        if output.suffix.lower() not in (".jsonl", ".parquet") and not fmt:
            raise ValueError(f"output {output}: expected a .jsonl or .parquet file (or --shard-size and a folder)")
        check_output_file(output, inputs=[input_path], force=force)
        fmt = output_format(output, fmt)
    if fmt == "parquet":
        from .io import require_pyarrow

        require_pyarrow("Parquet output")
    t0 = time.perf_counter()
    scan = scan_input(input_path, text_field=text_field, id_field=id_field, skip_invalid=skip_invalid, shard_size=shard_size)
    check_not_empty(scan["valid"], input_path, allow_empty=allow_empty)
    nlp = model if isinstance(model, Language) else load_pipeline(model)
    summary: Dict[str, Any] = {
        "input": str(input_path), "output": str(output), "format": fmt, "engine": engine,
        "docs_valid": scan["valid"], "skipped": len(scan["skips"]), "skips": scan["skips"],
    }
    records = read_records(input_path, text_field=text_field, id_field=id_field, on_error=lambda err: None)
    if shard_size:
        manifest = {
            "input": str(input_path.resolve()), "input_size": input_path.stat().st_size,
            "input_digest": file_digest(input_path), "shard_size": shard_size, "format": fmt,
            "text_field": text_field, "id_field": id_field, **model_identity(model, nlp),
        }
        prepare_out_dir(output, manifest, force=force)
        per_shard = scan["per_shard"]
        pending = [k for k in range(len(per_shard)) if not part_path(output, k, fmt).exists()]
        pending_set = set(pending)
        records = (r for r in records if r.ordinal // shard_size in pending_set)
        total = sum(per_shard[k] for k in pending)
        summary.update(shards=len(per_shard), shards_complete_before=len(per_shard) - len(pending))
    else:
        total = scan["valid"]
    labels: Counter = Counter()
    done = 0
    run = make_engine(engine, nlp, model=model, batch_size=batch_size, **(engine_options or {}))
    t1 = time.perf_counter()  # docs/s counts annotation only, not the checks and the pipeline's loading
    try:
        with Progress(total, desc=f"annotate ({engine})", unit="doc", enabled=show_progress, callback=progress_callback) as bar:
            def counted(stream: Iterator[Annotated]) -> Iterator[Annotated]:
                nonlocal done
                for ordinal, record in stream:
                    labels.update(e["label"] for e in record["entities"])
                    done += 1
                    bar.update(1)
                    yield ordinal, record

            outputs = counted(run(records) if total else iter(()))
            if shard_size:
                _write_shards(outputs, pending, per_shard, shard_size, output, fmt)
                summary["shards_written"] = len(pending)
            else:
                write_records((record for _, record in outputs), output, fmt)
    finally:
        run.close()
    seconds = time.perf_counter() - t1
    summary.update(
        docs=done, entities=sum(labels.values()), labels=dict(sorted(labels.items())),
        seconds=round(time.perf_counter() - t0, 3), annotate_seconds=round(seconds, 3),
        docs_per_second=round(done / seconds, 2) if seconds > 0 and done else None,
    )
    logger.info("annotate %s -> %s: %d docs, %d entities, %d skipped", input_path, output, done,
                summary["entities"], summary["skipped"])
    return summary


def _write_shards(outputs: Iterator[Annotated], pending: List[int], per_shard: List[int], shard_size: int,
                  out_dir: Path, fmt: str) -> None:
    """Cut the ordered stream into the pending shards and write each as soon as it is whole."""
    for shard in pending:
        batch = list(islice(outputs, per_shard[shard]))
        wrong = [o for o, _ in batch if o // shard_size != shard]
        if len(batch) != per_shard[shard] or wrong:  # an engine that lost or reordered records
            raise RuntimeError(
                f"shard {shard}: expected {per_shard[shard]} records, got {len(batch)}"
                + (f" (ordinals {wrong[:3]} belong elsewhere)" if wrong else "") + "; nothing written for it"
            )
        write_records((record for _, record in batch), part_path(out_dir, shard, fmt), fmt)
