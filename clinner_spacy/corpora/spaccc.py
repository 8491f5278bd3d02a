"""Readers for the SPACCC corpora: DisTEMIST, SympTEMIST (TSV mentions), MedProcNER and
PharmaCoNER (BRAT).

DisTEMIST, SympTEMIST and MedProcNER annotate the same 1000 SPACCC clinical cases, and only
their training documents (the 750 texts in medprocner/dataset/medprocner_train/txt) have
public gold. Their dev and test sets are therefore carved from those documents with one
seeded carve over that shared text list, so a document has the same split in all three.
PharmaCoNER has its own official train/dev/test.
"""
import csv
from collections import defaultdict
from pathlib import Path
from typing import Dict, Iterator, List, Optional

from .base import CorpusFormatError, ErrorHandler, RawDocument, RawSpan, report_error
from .brat import read_brat_dir
from .io import read_text
from .splits import carve

TEXT_DIR = Path("medprocner") / "dataset" / "medprocner_train" / "txt"
MEDPROCNER_BRAT = Path("medprocner") / "dataset" / "medprocner_train" / "brat" / "medprocner_brat_train_subtask1"
DISTEMIST_TSV = Path("distemist") / "subtrack1_entities" / "distemist_subtrack1_training_mentions.tsv"
SYMPTEMIST_TSV = Path("symptemist") / "symptemist_train" / "subtask1-ner" / "tsv" / "symptemist_tsv_train_subtask1.tsv"
TSV_COLUMNS = 6  # filename, mark/ann_id, label, start, end, text


def spaccc_splits(data_dir: Path, *, dev_fraction: float, test_fraction: float, seed: int) -> Dict[str, str]:
    """The shared carve of the SPACCC training texts into train/dev/test."""
    ids = [p.stem for p in (Path(data_dir) / TEXT_DIR).glob("*.txt")]
    if not ids:
        raise FileNotFoundError(f"no SPACCC texts in {Path(data_dir) / TEXT_DIR}")
    return carve(ids, dev_fraction=dev_fraction, test_fraction=test_fraction, seed=seed)


def read_mention_tsv(path: Path) -> Dict[str, List[RawSpan]]:
    """Read a TEMIST-style mention TSV (header, then filename, id, label, start, end, text).

    path (Path): the TSV file.
    RETURNS (Dict[str, List[RawSpan]]): mentions per file name, in file order.
    """
    by_doc: Dict[str, List[RawSpan]] = defaultdict(list)
    rows = csv.reader(read_text(path).splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE)
    for lineno, row in enumerate(rows, start=1):
        if lineno == 1 and row and row[0] == "filename":
            continue
        if not row:
            continue
        if len(row) != TSV_COLUMNS:
            raise CorpusFormatError(path, f"line {lineno}", f"expected {TSV_COLUMNS} tab-separated columns, got {len(row)}")
        name, _, label, start, end, text = row
        try:
            start_i, end_i = int(start), int(end)
        except ValueError:
            raise CorpusFormatError(path, f"line {lineno}", f"non-integer offsets {start!r}, {end!r}") from None
        by_doc[name].append(RawSpan(start_i, end_i, label, text=_unquote(text), source=f"line {lineno}"))
    return by_doc


def _unquote(field: str) -> str:
    # Some TSVs were written with CSV quoting (SympTEMIST: '"dolor en forma de ""pinchazos"""'),
    # others verbatim (DisTEMIST: 'carcinoma ductal "in situ" de mama'). Only a well-formed
    # quoted field is unquoted; the span text check in convert.py catches any misreading.
    inner = field[1:-1]
    if len(field) >= 2 and field[0] == field[-1] == '"' and '"' not in inner.replace('""', ""):
        return inner.replace('""', '"')
    return field


def read_tsv_corpus(
    data_dir: Path, tsv: Path, *, corpus: str, dev_fraction: float, test_fraction: float, seed: int,
    on_error: Optional[ErrorHandler] = None,
) -> Iterator[RawDocument]:
    """Documents of a mention TSV over the shared SPACCC texts, with the carved splits.

    A malformed TSV row stops the corpus; a missing or unreadable text is an error of its document.
    """
    data_dir = Path(data_dir)
    splits = spaccc_splits(data_dir, dev_fraction=dev_fraction, test_fraction=test_fraction, seed=seed)
    mentions = read_mention_tsv(data_dir / tsv)
    for name in sorted(mentions):
        txt_path = data_dir / TEXT_DIR / f"{name}.txt"
        split = splits.get(name, "train")
        try:
            if not txt_path.exists():
                raise CorpusFormatError(data_dir / tsv, f"document {name}", f"no text file {txt_path}")
            text = read_text(txt_path)
        except CorpusFormatError as err:
            report_error(err, on_error, doc_id=name, split=split)
            continue
        yield RawDocument(
            doc_id=name,
            text=text,
            spans=mentions[name],
            corpus=corpus,
            lang="es",
            split=split,
            path=str(data_dir / tsv),
        )


def read_distemist(
    data_dir: Path, *, dev_fraction: float = 0.2, test_fraction: float = 0.2, seed: int = 0,
    on_error: Optional[ErrorHandler] = None,
) -> Iterator[RawDocument]:
    """DisTEMIST subtrack 1 training mentions (ENFERMEDAD). data_dir: the spaccc folder."""
    yield from read_tsv_corpus(
        data_dir, DISTEMIST_TSV, corpus="distemist", dev_fraction=dev_fraction, test_fraction=test_fraction, seed=seed,
        on_error=on_error,
    )


def read_symptemist(
    data_dir: Path, *, dev_fraction: float = 0.2, test_fraction: float = 0.2, seed: int = 0,
    on_error: Optional[ErrorHandler] = None,
) -> Iterator[RawDocument]:
    """SympTEMIST subtask 1 training mentions (SINTOMA). data_dir: the spaccc folder."""
    yield from read_tsv_corpus(
        data_dir, SYMPTEMIST_TSV, corpus="symptemist", dev_fraction=dev_fraction, test_fraction=test_fraction, seed=seed,
        on_error=on_error,
    )


def read_medprocner(
    data_dir: Path, *, dev_fraction: float = 0.2, test_fraction: float = 0.2, seed: int = 0,
    on_error: Optional[ErrorHandler] = None,
) -> Iterator[RawDocument]:
    """MedProcNER subtask 1 training set from BRAT (PROCEDIMIENTO). data_dir: the spaccc folder."""
    data_dir = Path(data_dir)
    splits = spaccc_splits(data_dir, dev_fraction=dev_fraction, test_fraction=test_fraction, seed=seed)
    yield from read_brat_dir(data_dir / MEDPROCNER_BRAT, corpus="medprocner", lang="es", splits=splits, on_error=on_error)


def read_pharmaconer(data_dir: Path, on_error: Optional[ErrorHandler] = None) -> Iterator[RawDocument]:
    """PharmaCoNER BRAT with its official train/dev/test. data_dir: the pharmaconer folder."""
    for split in ("train", "dev", "test"):
        yield from read_brat_dir(Path(data_dir) / split, corpus="pharmaconer", lang="es", split=split, on_error=on_error)
