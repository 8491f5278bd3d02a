"""Reader for NeuroTrialNER (Ineichen-Group/NeuroTrialNER), BigBIO-style JSON.

data/annotated_data/bigbio/{train,dev,test}.json each hold a JSON list of trial records:
{"nctid", "text" (official title + " | " + brief summary), "entities": [{"start", "end",
"text", "type"}], ...}. Offsets are Python string indices into "text", end exclusive. The
records' "tokens"/"token_bio_labels" are string reprs of lists and are not used: spans are
read from the character offsets, tokenisation is left to the pipeline.
"""
import json
from pathlib import Path
from typing import Any, Iterator, List, Optional

from .base import CorpusFormatError, ErrorHandler, RawDocument, RawSpan, report_error
from .io import read_text

SPLITS = ("train", "dev", "test")
SUBDIR = Path("data") / "annotated_data" / "bigbio"


def read_neurotrialner(data_dir: Path, on_error: Optional[ErrorHandler] = None) -> Iterator[RawDocument]:
    """Read the NeuroTrialNER BigBIO JSON splits.

    A file that is not a JSON list stops the corpus; a bad record is an error of that record.

    data_dir (Path): the corpus folder (holding data/annotated_data/bigbio/).
    on_error (Optional[ErrorHandler]): called with a record's error instead of raising it.
    YIELDS (RawDocument): one per trial registration (doc_id = NCT id).
    """
    data_dir = Path(data_dir)
    paths = [(split, data_dir / SUBDIR / f"{split}.json") for split in SPLITS]
    records = [(split, path, _load_list(path)) for split, path in paths]  # every file checked first
    seen = {}
    for split, path, items in records:
        for i, record in enumerate(items):
            where = f"record {i}"
            try:
                doc = _record_document(record, split, path, where)
                if doc.doc_id in seen:
                    raise CorpusFormatError(path, where, f"duplicate nctid {doc.doc_id} (first in {seen[doc.doc_id]})")
            except CorpusFormatError as err:
                nctid = record.get("nctid") if isinstance(record, dict) else None
                report_error(err, on_error, doc_id=str(nctid or f"{path.name}:{where}"), split=split)
                continue
            seen[doc.doc_id] = f"{path}:{where}"
            yield doc


def _load_list(path: Path) -> List[Any]:
    if not path.exists():
        raise CorpusFormatError(path, "0", "file not found")
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as err:
        raise CorpusFormatError(path, f"{err.lineno}:{err.colno}", f"invalid JSON: {err.msg}") from None
    if not isinstance(data, list):
        raise CorpusFormatError(path, "top level", f"expected a list of records, got {type(data).__name__}")
    return data


def _record_document(record: Any, split: str, path: Path, where: str) -> RawDocument:
    if not isinstance(record, dict) or not all(k in record for k in ("nctid", "text", "entities")):
        raise CorpusFormatError(path, where, "expected an object with nctid, text and entities")
    text = record["text"]
    if not isinstance(text, str) or not text.strip():
        raise CorpusFormatError(path, f"{where} ({record['nctid']})", "empty text")
    spans = []
    for j, ent in enumerate(record["entities"]):
        place = f"{where} ({record['nctid']}) entity {j}"
        try:
            start, end, label = int(ent["start"]), int(ent["end"]), str(ent["type"])
        except (KeyError, TypeError, ValueError):
            raise CorpusFormatError(path, place, f"expected start, end and type, got {ent!r}") from None
        if not 0 <= start < end <= len(text):
            raise CorpusFormatError(path, place, f"offsets {start}-{end} outside text of length {len(text)}")
        surface = ent.get("text")
        if surface is not None and text[start:end] != surface:
            raise CorpusFormatError(
                path, place, f"span text {surface!r} does not match text[{start}:{end}] = {text[start:end]!r}"
            )
        spans.append(RawSpan(start, end, label, text=surface, source=f"{path}:{place}"))
    return RawDocument(
        doc_id=str(record["nctid"]),
        text=text,
        spans=spans,
        corpus="neurotrialner",
        lang="en",
        split=split,
        path=str(path),
    )
