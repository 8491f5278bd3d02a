"""Input records and output files of `clinner annotate`.

Inputs are read as a stream, one record at a time, so a corpus never has to fit in memory:
- .jsonl: one object per line with a text field ("text") and optionally an id field ("id");
- .txt: one document per line (blank lines are no documents; line terminators are not text);
- .parquet: a text column and optionally an id column (needs pyarrow).
Every record has an ordinal, its place among the input's records (invalid ones included), so
that shard boundaries (shards.py) do not move when --skip-invalid leaves records out. Errors
name the file and the line or row (corpora.base.CorpusFormatError).

Outputs hold one record per document, {"id", "text", "entities": [{start, end, label, text}]},
offsets into text; they are written to a temporary name and renamed into place, so a file
under its final name is always complete.
"""
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Union

from spacy.tokens import Doc

from ..corpora.base import CorpusFormatError

INPUT_SUFFIXES = (".jsonl", ".txt", ".parquet")
OUTPUT_FORMATS = ("jsonl", "parquet")
#: on_error(error): told about a record that cannot be read; None raises instead
OnError = Optional[Callable[[CorpusFormatError], None]]


@dataclass
class InputRecord:
    """One document to annotate.

    ordinal (int): its place among the input's records, from 0 (invalid records count too).
    doc_id (str): the id field, or "<file stem>:<line or row>" when there is none.
    text (str): the text, exactly as read; output offsets index it.
    """

    ordinal: int
    doc_id: str
    text: str


def require_pyarrow(what: str):
    """RETURNS (module): pyarrow.parquet, or an ImportError that says how to install it."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError(f"{what} needs pyarrow: pip install 'clinner-spacy[parquet]' (or pyarrow)") from None
    return pq


def read_records(
    path: Union[str, Path], *, text_field: str = "text", id_field: str = "id", on_error: OnError = None
) -> Iterator[InputRecord]:
    """Stream the records of an input file.

    path (Union[str, Path]): a .jsonl, .txt or .parquet file.
    text_field (str), id_field (str): the JSONL keys / Parquet columns (ignored for .txt).
    on_error (OnError): handler for invalid records (then skipped); None raises CorpusFormatError.
    YIELDS (InputRecord): the valid records, in file order.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        yield from _read_parquet(path, text_field, id_field, on_error)
        return
    ordinal = 0
    with path.open("rb") as f:
        # binary lines split on b"\n" only: U+2028 inside a JSON string is no line break
        for n, raw in enumerate(f, start=1):
            line_bytes = raw.rstrip(b"\n").rstrip(b"\r")
            try:
                line = line_bytes.decode("utf-8")
            except UnicodeDecodeError as err:
                if not line_bytes.strip():
                    continue
                _fail(CorpusFormatError(path, f"line {n}", f"not valid UTF-8 (byte {err.start} of the line)"), on_error)
                ordinal += 1
                continue
            if not line.strip():
                continue
            if suffix == ".txt":
                yield InputRecord(ordinal, f"{path.stem}:{n}", line)
            else:
                record = _parse_json_line(path, n, line, text_field, id_field, on_error, ordinal)
                if record is not None:
                    yield record
            ordinal += 1


def _parse_json_line(path, n, line, text_field, id_field, on_error, ordinal) -> Optional[InputRecord]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as err:
        _fail(CorpusFormatError(path, f"line {n}", f"invalid JSON: {err.msg} (column {err.colno})"), on_error)
        return None
    if not isinstance(obj, dict) or not isinstance(obj.get(text_field), str):
        found = "not an object" if not isinstance(obj, dict) else (
            f'no "{text_field}" field' if text_field not in obj else f'"{text_field}" is not a string'
        )
        _fail(CorpusFormatError(path, f"line {n}", f'expected an object with a "{text_field}" string ({found})'), on_error)
        return None
    doc_id = obj.get(id_field)
    return InputRecord(ordinal, str(doc_id) if doc_id is not None else f"{path.stem}:{n}", obj[text_field])


def _read_parquet(path: Path, text_field: str, id_field: str, on_error: OnError) -> Iterator[InputRecord]:
    pq = require_pyarrow(f"{path} (Parquet input)")
    try:
        parquet = pq.ParquetFile(str(path))
    except Exception as err:  # pyarrow raises ArrowInvalid and friends
        raise CorpusFormatError(path, "file", f"not a readable Parquet file ({err})") from None
    names = parquet.schema_arrow.names
    if text_field not in names:
        raise CorpusFormatError(path, "file", f'no "{text_field}" column (columns: {", ".join(names)})')
    columns = [text_field] + ([id_field] if id_field in names else [])
    ordinal = 0
    for batch in parquet.iter_batches(columns=columns, batch_size=4096):
        data = batch.to_pydict()
        ids = data.get(id_field, [None] * batch.num_rows)
        for text, doc_id in zip(data[text_field], ids):
            row = ordinal + 1
            if not isinstance(text, str):
                _fail(CorpusFormatError(path, f"row {row}", f'"{text_field}" is {type(text).__name__}, not a string'), on_error)
            else:
                yield InputRecord(ordinal, str(doc_id) if doc_id is not None else f"{path.stem}:{row}", text)
            ordinal += 1


def _fail(err: CorpusFormatError, on_error: OnError) -> None:
    if on_error is None:
        raise err
    on_error(err)


def doc_record(doc: Doc, record: InputRecord) -> Dict[str, Any]:
    """The output record of one annotated document.

    doc (Doc): the annotated doc.
    record (InputRecord): what was read.
    RETURNS (Dict[str, Any]): {"id", "text", "entities": [{"start", "end", "label", "text"}]}.
    """
    if doc.text != record.text:  # spaCy tokenizers never change the text; a guard for custom ones
        raise ValueError(f"document {record.doc_id}: the pipeline changed the text, offsets would not index it")
    entities = [{"start": e.start_char, "end": e.end_char, "label": e.label_, "text": e.text} for e in doc.ents]
    return {"id": record.doc_id, "text": doc.text, "entities": entities}


def output_format(path: Union[str, Path], given: Optional[str] = None) -> str:
    """RETURNS (str): "jsonl" or "parquet": the given format, else the output file's suffix."""
    fmt = given or ("parquet" if Path(path).suffix.lower() == ".parquet" else "jsonl")
    if fmt not in OUTPUT_FORMATS:
        raise ValueError(f"output format must be one of {', '.join(OUTPUT_FORMATS)}, not {fmt!r}")
    return fmt


def write_records(records: Iterable[Dict[str, Any]], path: Union[str, Path], fmt: str) -> int:
    """Write output records atomically: to a temporary name beside path, then renamed.

    records (Iterable[Dict[str, Any]]): doc_record() outputs.
    path (Union[str, Path]): the final file.
    fmt (str): "jsonl" or "parquet".
    RETURNS (int): the number of records written.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        n = _write_parquet(records, tmp) if fmt == "parquet" else _write_jsonl(records, tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return n


def _write_jsonl(records: Iterable[Dict[str, Any]], path: Path) -> int:
    n = 0
    with path.open("w", encoding="utf-8", newline="\n") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            n += 1
        f.flush()
        os.fsync(f.fileno())
    return n


def _write_parquet(records: Iterable[Dict[str, Any]], path: Path) -> int:
    pq = require_pyarrow(f"{path} (Parquet output)")
    import pyarrow as pa

    entity = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("label", pa.string()), ("text", pa.string())])
    schema = pa.schema([("id", pa.string()), ("text", pa.string()), ("entities", pa.list_(entity))])
    rows: List[Dict[str, Any]] = list(records)
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), str(path))
    return len(rows)


def read_output(path: Union[str, Path]) -> List[Dict[str, Any]]:
    """RETURNS (List[Dict[str, Any]]): the records of an output file (.jsonl or .parquet)."""
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        return require_pyarrow(str(path)).read_table(str(path)).to_pylist()
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
