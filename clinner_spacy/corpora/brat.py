"""BRAT standoff reader (.txt + .ann pairs).

Only text-bound annotations ("T1<TAB>LABEL 0 5;10 15<TAB>text") are mentions; a ';' in the
offset field separates the fragments of a discontinuous mention. Notes (#), relations (R),
events (E), attributes (A/M), normalisations (N) and equivalences (*) are not mentions: they
are counted per kind in RawDocument.extra["ignored_annotations"] and reported, not dropped
silently.
"""
from collections import Counter
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

from .base import CorpusFormatError, ErrorHandler, RawDocument, RawSpan, report_error
from .io import read_text

IGNORED_KINDS = {
    "#": "brat note (#)",
    "R": "brat relation (R)",
    "E": "brat event (E)",
    "A": "brat attribute (A)",
    "M": "brat attribute (M)",
    "N": "brat normalization (N)",
    "*": "brat equivalence (*)",
}


def parse_ann(content: str, path: Path) -> Tuple[List[RawSpan], Counter]:
    """Parse the content of a .ann file.

    content (str): the file's text.
    path (Path): the file, for error messages and span sources.
    RETURNS (Tuple[List[RawSpan], Counter]): the mentions, and counts of ignored lines by kind.
    """
    spans: List[RawSpan] = []
    ignored: Counter = Counter()
    for lineno, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        kind = line[0]
        if kind in IGNORED_KINDS:
            ignored[IGNORED_KINDS[kind]] += 1
            continue
        if kind != "T":
            raise CorpusFormatError(path, f"line {lineno}", f"unknown BRAT annotation kind {line[:10]!r}")
        fields = line.split("\t")
        if len(fields) < 3:
            raise CorpusFormatError(path, f"line {lineno}", "expected 'ID<TAB>LABEL START END<TAB>TEXT'")
        label, _, offsets = fields[1].partition(" ")
        try:
            fragments = [tuple(int(x) for x in part.split()) for part in offsets.split(";")]
        except ValueError:
            raise CorpusFormatError(path, f"line {lineno}", f"non-integer offsets {offsets!r}") from None
        if not label or any(len(f) != 2 for f in fragments):
            raise CorpusFormatError(path, f"line {lineno}", f"malformed label/offsets field {fields[1]!r}")
        spans.append(
            RawSpan(
                start=fragments[0][0],
                end=fragments[-1][1],
                label=label,
                fragments=list(fragments) if len(fragments) > 1 else [],
                text="\t".join(fields[2:]),
                source=f"line {lineno}",
            )
        )
    return spans, ignored


def read_brat_document(txt_path: Path, *, corpus: str, lang: str, split: str) -> RawDocument:
    """Read one .txt file and the .ann file beside it.

    txt_path (Path): the text file; the .ann file has the same stem.
    RETURNS (RawDocument): the document, doc_id = file stem.
    """
    ann_path = txt_path.with_suffix(".ann")
    if not ann_path.exists():
        raise CorpusFormatError(ann_path, "file", f"missing annotation file for {txt_path.name}")
    spans, ignored = parse_ann(read_text(ann_path), ann_path)
    return RawDocument(
        doc_id=txt_path.stem,
        text=read_text(txt_path),
        spans=spans,
        corpus=corpus,
        lang=lang,
        split=split,
        path=str(ann_path),
        extra={"ignored_annotations": dict(ignored)},
    )


def read_brat_dir(
    folder: Path,
    *,
    corpus: str,
    lang: str,
    split: str = "train",
    splits: Optional[Dict[str, str]] = None,
    on_error: Optional[ErrorHandler] = None,
) -> Iterator[RawDocument]:
    """Read every .txt/.ann pair in a folder, in file name order.

    A .txt without its .ann, or an .ann without its .txt, is an error of that document.

    folder (Path): the BRAT folder.
    split (str): the split of every document, unless splits gives one.
    splits (Optional[Dict[str, str]]): doc id -> split, for carved splits.
    on_error (Optional[ErrorHandler]): called with a document's error instead of raising it.
    YIELDS (RawDocument): the documents.
    """
    folder = Path(folder)
    stems = sorted({p.stem for p in folder.glob("*.txt")} | {p.stem for p in folder.glob("*.ann")})
    if not stems:
        raise FileNotFoundError(f"no BRAT .txt/.ann files in {folder}")
    for stem in stems:
        doc_split = (splits or {}).get(stem, split)
        txt_path = folder / f"{stem}.txt"
        try:
            if not txt_path.exists():
                raise CorpusFormatError(folder / f"{stem}.ann", "file", f"missing text file {txt_path.name} for this annotation file")
            doc = read_brat_document(txt_path, corpus=corpus, lang=lang, split=doc_split)
        except CorpusFormatError as err:
            report_error(err, on_error, doc_id=stem, split=doc_split)
            continue
        yield doc
