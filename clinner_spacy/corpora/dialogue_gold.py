"""Reader for the project's doctor-patient dialogue gold set (dialogue/gold/*.jsonl).

One JSON object a line: {"id", "source", "text", "entities": [[start, end, "LABEL"], ...]},
offsets are Python string indices into "text", end exclusive (GUIDELINES.md v1.2). The
files present are read: train.jsonl and dev.jsonl are shared, a test.jsonl is kept apart and
read the same way where it exists. Overlaps are left to the shared overlap policy.
"""
import json
from pathlib import Path
from typing import Iterator, Optional

from .base import CorpusFormatError, ErrorHandler, RawDocument, RawSpan, report_error
from .io import read_lines

SPLITS = ("train", "dev", "test")
#: the files that must be there (test.jsonl is kept apart and read only where it exists)
REQUIRED = ("train", "dev")


def read_dialogue_gold(data_dir: Path, on_error: Optional[ErrorHandler] = None) -> Iterator[RawDocument]:
    """Read the dialogue gold JSONL files.

    data_dir (Path): the folder holding train.jsonl, dev.jsonl (and test.jsonl if present).
    on_error (Optional[ErrorHandler]): called with a line's error (JSON, encoding, offsets,
        duplicate id) instead of raising it.
    YIELDS (RawDocument): one per dialogue; a missing train.jsonl or dev.jsonl is an error
        once the files present were read.
    """
    data_dir = Path(data_dir)
    paths = [(split, data_dir / f"{split}.jsonl") for split in SPLITS]
    if not any(path.exists() for _, path in paths):
        raise CorpusFormatError(data_dir, "0", "no train/dev/test .jsonl file found")
    seen = {}
    for split, path in paths:
        if not path.exists():
            continue
        for line_no, line in read_lines(path):
            if isinstance(line, CorpusFormatError):
                report_error(line, on_error, doc_id=f"{path.name}:{line_no}", split=split)
                continue
            if not line.strip():
                continue
            try:
                doc = _parse_line(line, path, line_no, split)
                if doc.doc_id in seen:
                    raise CorpusFormatError(path, str(line_no), f"duplicate id {doc.doc_id!r} (first at {seen[doc.doc_id]})")
            except CorpusFormatError as err:
                report_error(err, on_error, doc_id=f"{path.name}:{line_no}", split=split)
                continue
            seen[doc.doc_id] = f"{path}:{line_no}"
            yield doc
    missing = [path for split, path in paths if split in REQUIRED and not path.exists()]
    if missing:
        raise CorpusFormatError(
            missing[0], "file", f"missing: the dialogue gold set needs {' and '.join(f'{s}.jsonl' for s in REQUIRED)} "
            f"(found {', '.join(p.name for _, p in paths if p.exists())})"
        )


def _parse_line(line: str, path: Path, line_no: int, split: str) -> RawDocument:
    where = str(line_no)
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        raise CorpusFormatError(path, f"{line_no}:{err.colno}", f"invalid JSON: {err.msg}") from None
    if not isinstance(record, dict) or not isinstance(record.get("text"), str) or "id" not in record:
        raise CorpusFormatError(path, where, "expected an object with id, text and entities")
    text = record["text"]
    if not text.strip():
        raise CorpusFormatError(path, where, f"empty text in {record['id']!r}")
    spans = []
    for j, ent in enumerate(record.get("entities", [])):
        place = f"{line_no} entity {j}"
        if not (isinstance(ent, list) and len(ent) == 3 and all(isinstance(x, int) for x in ent[:2])):
            raise CorpusFormatError(path, place, f"expected [start, end, label], got {ent!r}")
        start, end, label = ent
        if not 0 <= start < end <= len(text):
            raise CorpusFormatError(path, place, f"offsets {start}-{end} outside text of length {len(text)}")
        surface = text[start:end]
        if surface != surface.strip():
            raise CorpusFormatError(path, place, f"span {surface!r} has surrounding whitespace")
        spans.append(RawSpan(start, end, str(label), text=surface, source=f"{path}:{place}"))
    return RawDocument(
        doc_id=str(record["id"]),
        text=text,
        spans=spans,
        corpus="dialogue-gold",
        lang="en",
        split=split,
        path=f"{path}:{line_no}",
        extra={"source": record.get("source", "")},
    )
