"""Token-per-line IOB files (CoNLL style): parsing, tag decoding and text alignment.

One token per line as `TOKEN<TAB>TAG` (extra columns are ignored), a blank line after each
sentence, optional `-DOCSTART-` lines between documents. Tags are `O`, `B-X` or `I-X`.

Malformed sequences follow the conlleval rule, and are counted, never dropped: an `I-X`
that does not continue an `X` span (after `O`, at a sentence start, or after another type)
starts a new `X` span, as if it were `B-X`. Anything else that is not a known tag is a
CorpusFormatError naming the file and line.
"""
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from .base import CorpusFormatError
from .io import read_text

DOCSTART = "-DOCSTART-"


@dataclass
class IOBSentence:
    """One sentence of a token file: tokens, tags and the line number of each token."""

    words: List[str] = field(default_factory=list)
    tags: List[str] = field(default_factory=list)
    lines: List[int] = field(default_factory=list)
    # True when a -DOCSTART- line came before this sentence.
    doc_start: bool = False


@dataclass
class IOBSpan:
    """A decoded mention in token indices (end exclusive), with its upstream label."""

    start: int
    end: int
    label: str
    line: int
    repaired: bool = False


def read_iob_file(path: Path) -> List[IOBSentence]:
    """Parse a token-per-line IOB file into sentences.

    path (Path): the file (UTF-8).
    RETURNS (List[IOBSentence]): the sentences in file order.
    """
    path = Path(path)
    if not path.exists():
        raise CorpusFormatError(path, "0", "file not found")
    content = read_text(path)
    sentences: List[IOBSentence] = []
    current = IOBSentence()
    pending_docstart = False
    # split("\n"), not splitlines(): a token may hold characters splitlines() breaks on.
    for line_no, line in enumerate(content.split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            if current.words:
                sentences.append(current)
                current = IOBSentence()
            continue
        cols = line.split("\t")
        if cols[0].startswith(DOCSTART):
            pending_docstart = True
            continue
        if len(cols) < 2 or not cols[0] or not cols[-1]:
            raise CorpusFormatError(path, str(line_no), f"expected TOKEN<TAB>TAG, got {line!r}")
        tag = cols[-1].strip()
        if not (tag == "O" or (len(tag) > 2 and tag[:2] in ("B-", "I-"))):
            raise CorpusFormatError(path, str(line_no), f"unknown IOB tag {tag!r}")
        if not current.words:
            current.doc_start = pending_docstart
            pending_docstart = False
        current.words.append(cols[0])
        current.tags.append(tag)
        current.lines.append(line_no)
    if current.words:
        sentences.append(current)
    return sentences


def decode_iob(tags: Sequence[str], lines: Optional[Sequence[int]] = None) -> List[IOBSpan]:
    """Decode one sentence's IOB tags into spans, repairing orphan I- tags (see module doc).

    tags (Sequence[str]): the tags, validated by read_iob_file.
    lines (Optional[Sequence[int]]): line number per tag, for reports.
    RETURNS (List[IOBSpan]): spans in order; `repaired` marks those opened by an orphan I-.
    """
    spans: List[IOBSpan] = []
    current: Optional[IOBSpan] = None
    for i, tag in enumerate(tags):
        line = lines[i] if lines is not None else i
        if tag == "O":
            current = None
            continue
        prefix, label = tag[:2], tag[2:]
        if prefix == "I-" and current is not None and current.label == label:
            current.end = i + 1
            continue
        current = IOBSpan(start=i, end=i + 1, label=label, line=line, repaired=prefix == "I-")
        spans.append(current)
    return spans


def align_words(
    text: str, words: Sequence[str], *, where: str = ""
) -> Tuple[List[int], List[str], List[bool]]:
    """Find each word in text, in order, skipping whitespace only.

    Returns words and spaces for a spaCy Doc whose text is exactly `text`: a gap that is not
    a single space becomes a whitespace token, as spaCy's own tokenizer makes them.

    text (str): the original document text.
    words (Sequence[str]): the upstream tokens, in order.
    where (str): file and place for error messages.
    RETURNS (Tuple[List[int], List[str], List[bool]]): the start offset of each input word,
        and the Doc words and spaces (which may hold extra whitespace tokens).
    """
    starts: List[int] = []
    doc_words: List[str] = []
    spaces: List[bool] = []
    pos = 0
    for word in list(words) + [None]:
        gap_start = pos
        while pos < len(text) and text[pos].isspace():
            pos += 1
        gap = text[gap_start:pos]
        if gap:
            if doc_words and gap.startswith(" ") and not spaces[-1]:
                spaces[-1] = True
                gap = gap[1:]
            if gap:
                doc_words.append(gap)
                spaces.append(False)
        if word is None:
            break
        if text[pos : pos + len(word)] != word:
            found = text[pos : pos + len(word) + 10]
            raise CorpusFormatError(
                where or "<text>", f"offset {pos}", f"token {word!r} does not match text {found!r}"
            )
        starts.append(pos)
        doc_words.append(word)
        spaces.append(False)
        pos += len(word)
    if pos != len(text):
        raise CorpusFormatError(where or "<text>", f"offset {pos}", "text left after the last token")
    return starts, doc_words, spaces
