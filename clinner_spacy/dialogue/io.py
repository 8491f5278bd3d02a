"""Dialogue files to annotate or pseudo-label: JSONL, plain text, or DocBins.

- .jsonl: one object per line with "text" and optionally "id" (the gold format reads as is).
- .txt: dialogues with speaker prefixes, separated by blank lines. Files are read without
  newline translation, so a dialogue's text (and the offsets predicted into it) keep its CRLFs;
  each dialogue also records where it starts in the file. A dialogue that itself contains
  blank lines must go in JSONL instead.
- .spacy: Docs from `clinner convert-raw-dialogue` (the doc_id metadata names them).
"""
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, Union

from ..corpora.base import CorpusFormatError
from ..corpora.io import read_text
from ..docbins import read_docs
from ..util import get_meta

# A blank line: a line break, then only blanks up to the next line break. "\r" alone is a
# line break only when no "\n" follows, so that one CRLF is never read as two breaks.
_NEWLINE = r"(?:\r\n|\n|\r(?!\n))"
_BLOCK_SEP = re.compile(rf"{_NEWLINE}(?:[ \t]*{_NEWLINE})+")
#: the dialogue file types read_dialogues accepts
SUFFIXES = (".jsonl", ".txt", ".spacy")


@dataclass
class DialogueInput:
    """One dialogue to process.

    dialogue_id (str): its id ("<file stem>:<n>" when the file gives none).
    text (str): the exact text that offsets will index.
    file_offset (int): where the text starts in a .txt file (0 for other formats).
    extra (Dict[str, Any]): other JSONL fields, passed through to the output.
    """

    dialogue_id: str
    text: str
    file_offset: int = 0
    extra: Dict[str, Any] = field(default_factory=dict)


def read_jsonl_dialogues(path: Union[str, Path]) -> Iterator[DialogueInput]:
    """Read a JSONL file of {"id", "text", ...} objects; errors name the line."""
    path = Path(path)
    # split on "\n" only: str.splitlines would also break at U+2028 inside a JSON string
    for n, line in enumerate(read_text(path).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise CorpusFormatError(path, f"line {n}", f"invalid JSON: {err.msg}") from None
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise CorpusFormatError(path, f"line {n}", 'expected an object with a "text" string')
        extra = {k: v for k, v in record.items() if k not in ("id", "text")}
        yield DialogueInput(str(record.get("id", f"{path.stem}:{n}")), record["text"], 0, extra)


def read_txt_dialogues(path: Union[str, Path]) -> Iterator[DialogueInput]:
    """Read blank-line-separated dialogues, each text exact and with its file offset."""
    path = Path(path)
    content = read_text(path)
    start, n = 0, 0
    for sep in list(_BLOCK_SEP.finditer(content)) + [None]:
        end = sep.start() if sep is not None else len(content)
        block = content[start:end]
        if block.strip():
            n += 1
            # offsets index the block without its leading/trailing blank space
            lead = len(block) - len(block.lstrip())
            text = block.strip()
            yield DialogueInput(f"{path.stem}:{n}", text, start + lead)
        if sep is not None:
            start = sep.end()


def read_docbin_dialogues(path: Union[str, Path], vocab) -> Iterator[DialogueInput]:
    """Read dialogues from a DocBin; the Doc itself travels in extra["doc"]."""
    for n, doc in enumerate(read_docs(path, vocab), start=1):
        yield DialogueInput(str(get_meta(doc, "doc_id") or f"{Path(path).stem}:{n}"), doc.text, 0, {"doc": doc})


def read_dialogues(path: Union[str, Path], vocab=None) -> Iterator[DialogueInput]:
    """Read dialogues from a .jsonl, .txt or .spacy file (by suffix).

    path (Union[str, Path]): the file.
    vocab (Vocab): needed for .spacy files.
    YIELDS (DialogueInput): the dialogues in file order.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"dialogue file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        yield from read_jsonl_dialogues(path)
    elif suffix == ".txt":
        yield from read_txt_dialogues(path)
    elif suffix == ".spacy":
        if vocab is None:
            raise ValueError(f"reading {path} needs a vocab")
        yield from read_docbin_dialogues(path, vocab)
    else:
        raise CorpusFormatError(path, "file name", "expected a .jsonl, .txt or .spacy dialogue file")
