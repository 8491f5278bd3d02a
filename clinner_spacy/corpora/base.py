"""What every corpus reader produces, before the overlap policy and tokenisation.

Readers stay format-specific and small: they parse a file format into RawDocument objects
with character-offset spans in upstream label names, and raise CorpusFormatError naming the
file and place when the input is malformed. Mapping labels, resolving overlaps and building
Docs is shared (corpora/convert.py), so that one policy governs every corpus.

A reader that can tell one document's error from the rest of the corpus takes an on_error
handler: without one it raises, with one (`clinner convert --skip-invalid`) it hands the
error over and goes on with the next document (report_error below).
"""
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple, Union


class CorpusFormatError(ValueError):
    """Malformed input, with the file and the place (line, offset or element) in the message."""

    def __init__(self, path: Union[str, Path], where: str, message: str):
        self.path = str(path)
        self.where = where
        super().__init__(f"{self.path}:{where}: {message}")


#: on_error(error, doc_id, split): told about a document a reader had to leave out
ErrorHandler = Callable[[CorpusFormatError, str, str], None]


def report_error(err: CorpusFormatError, on_error: Optional[ErrorHandler], *, doc_id: str, split: str) -> None:
    """Raise a per-document error, or hand it to on_error so that the reader can go on.

    err (CorpusFormatError): the document's error.
    on_error (Optional[ErrorHandler]): the handler; None raises.
    doc_id (str), split (str): the document left out.
    """
    if on_error is None:
        raise err
    on_error(err, doc_id, split)


@dataclass
class RawSpan:
    """One annotated mention in upstream terms.

    start (int): character offset of the first character.
    end (int): character offset after the last character.
    label (str): the upstream label name (mapped later through a labelmap file).
    fragments (List[Tuple[int, int]]): for a discontinuous mention, all its parts in order;
        empty for a contiguous one.
    text (Optional[str]): the mention text as the annotation file gives it, checked against
        the document text when present.
    source (str): where it came from (file:line), for error messages and reports.
    """

    start: int
    end: int
    label: str
    fragments: List[Tuple[int, int]] = field(default_factory=list)
    text: Optional[str] = None
    source: str = ""

    @property
    def is_discontinuous(self) -> bool:
        return len(self.fragments) > 1


@dataclass
class RawDocument:
    """A document as read from a corpus: text, spans and where it belongs."""

    doc_id: str
    text: str
    spans: List[RawSpan]
    corpus: str
    lang: str
    split: str = "train"
    path: str = ""
    # Pre-tokenised corpora (CoNLL/IOB) keep their tokens so the Doc matches upstream exactly.
    words: Optional[List[str]] = None
    spaces: Optional[List[bool]] = None
    # Sentence starts as character offsets, when the format gives sentences.
    sent_starts: Optional[List[int]] = None
    extra: Dict[str, Any] = field(default_factory=dict)
