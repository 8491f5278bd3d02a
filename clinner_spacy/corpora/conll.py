"""Readers for the CoNLL/IOB English corpora: NCBI-disease and BC5CDR.

NCBI-disease (spyysalo/ncbi-disease): conll/{train,devel,test}.tsv has tokens and IOB tags
(one type, "Disease") but no document boundaries; standoff/<split>/<PMID>.txt/.ann has the
documents. The CoNLL files were made from the standoff files in sorted file-name order, so
the reader walks both together: the tokens are matched against each document text in turn
(any mismatch is an error naming both files). Spans come from the IOB tags (token-aligned);
their upstream type (SpecificDisease, DiseaseClass, Modifier, CompositeMention) is taken
from the .ann mention with the same offsets, or else the first overlapping one (2 train
mentions: the .ann span ends inside a token), counted in RawDocument.extra.

BC5CDR (PierreZweigenbaum/bc5cdr-ner BC5CDR-IOB): tokens and tags only, and no document
boundaries at all (no -DOCSTART-, no double blank lines, no text). Each sentence becomes
one RawDocument (text = tokens joined by single spaces, extra["pseudo_document"] = True),
so "documents" of this corpus are sentences: upstream has 500 abstracts per split.
"""
import logging
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

from .base import CorpusFormatError, RawDocument, RawSpan
from .io import read_text
from .iob import IOBSentence, align_words, decode_iob, read_iob_file

logger = logging.getLogger("clinner_spacy")

NCBI_SPLITS = (("train", "train"), ("dev", "devel"), ("test", "test"))
BC5CDR_SPLITS = (("train", "train"), ("dev", "devel"), ("test", "test"))


def read_ncbi_disease(data_dir: Path) -> Iterator[RawDocument]:
    """Read NCBI-disease: CoNLL tokens and tags, standoff texts and mention types.

    data_dir (Path): the corpus folder (holding conll/ and standoff/).
    YIELDS (RawDocument): one per PubMed abstract, splits train, dev and test.
    """
    data_dir = Path(data_dir)
    for split, stem in NCBI_SPLITS:
        conll_path = data_dir / "conll" / f"{stem}.tsv"
        standoff_dir = data_dir / "standoff" / stem
        if not standoff_dir.is_dir():
            raise CorpusFormatError(standoff_dir, "0", "standoff folder not found")
        tokens = [
            (word, tag, line, s_idx, i == 0)
            for s_idx, sent in enumerate(read_iob_file(conll_path))
            for i, (word, tag, line) in enumerate(zip(sent.words, sent.tags, sent.lines))
        ]
        cursor = 0
        for txt_path in sorted(standoff_dir.glob("*.txt"), key=lambda p: p.stem):
            text = read_text(txt_path)
            n = _tokens_in_text(text, tokens, cursor, conll_path, txt_path)
            doc_tokens = tokens[cursor : cursor + n]
            cursor += n
            yield _ncbi_document(text, doc_tokens, split, txt_path, conll_path)
        if cursor != len(tokens):
            line = tokens[cursor][2]
            raise CorpusFormatError(conll_path, str(line), "tokens left after the last standoff document")


def _tokens_in_text(text: str, tokens: List[tuple], cursor: int, conll_path: Path, txt_path: Path) -> int:
    """Count the tokens, from cursor on, that spell out text (whitespace skipped)."""
    pos, n = 0, 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return n
        if cursor + n >= len(tokens):
            raise CorpusFormatError(conll_path, "end", f"ran out of tokens inside {txt_path}")
        word, _, line, _, _ = tokens[cursor + n]
        if text[pos : pos + len(word)] != word:
            raise CorpusFormatError(
                conll_path, str(line), f"token {word!r} does not match {txt_path} at offset {pos}"
            )
        pos += len(word)
        n += 1


def _ncbi_document(text: str, doc_tokens: List[tuple], split: str, txt_path: Path, conll_path: Path) -> RawDocument:
    words = [t[0] for t in doc_tokens]
    starts, doc_words, spaces = align_words(text, words, where=str(txt_path))
    ann = _read_ann(txt_path.with_suffix(".ann"))
    spans: List[RawSpan] = []
    counts: Dict[str, int] = {"iob_repairs": 0, "type_from_overlap": 0, "untyped": 0}
    sent_starts: List[int] = []
    sent_ids = [t[3] for t in doc_tokens]
    for i, tok in enumerate(doc_tokens):
        # A document always starts a sentence, even if upstream ran one across documents.
        if i == 0 or sent_ids[i] != sent_ids[i - 1]:
            sent_starts.append(starts[i])
    i = 0
    while i < len(doc_tokens):
        j = i
        while j < len(doc_tokens) and sent_ids[j] == sent_ids[i]:
            j += 1
        tags = [t[1] for t in doc_tokens[i:j]]
        lines = [t[2] for t in doc_tokens[i:j]]
        for s in decode_iob(tags, lines):
            start = starts[i + s.start]
            end = starts[i + s.end - 1] + len(words[i + s.end - 1])
            label = _ncbi_type(start, end, ann, counts)
            counts["iob_repairs"] += int(s.repaired)
            spans.append(RawSpan(start, end, label, text=text[start:end], source=f"{conll_path}:{s.line}"))
        i = j
    matched = {(s.start, s.end) for s in spans}
    unmatched = [a for a in ann if (a[0], a[1]) not in matched and not any(s.start < a[1] and a[0] < s.end for s in spans)]
    counts["ann_only"] = len(unmatched)
    if counts["type_from_overlap"] or counts["untyped"] or unmatched or counts["iob_repairs"]:
        logger.info("ncbi-disease %s: %s", txt_path.stem, counts)
    return RawDocument(
        doc_id=txt_path.stem,
        text=text,
        spans=spans,
        corpus="ncbi-disease",
        lang="en",
        split=split,
        path=str(txt_path),
        words=doc_words,
        spaces=spaces,
        sent_starts=sent_starts,
        extra={"conll": str(conll_path), **counts},
    )


def _read_ann(path: Path) -> List[Tuple[int, int, str]]:
    """The T lines of a BRAT .ann file as (start, end, type); fragments are merged."""
    out = []
    if not path.exists():
        raise CorpusFormatError(path, "0", "annotation file not found")
    for line_no, line in enumerate(read_text(path).split("\n"), start=1):
        if not line.startswith("T"):
            continue
        try:
            _, middle, _ = line.split("\t", 2)
            label, offsets = middle.split(" ", 1)
            pairs = [tuple(int(x) for x in frag.split()) for frag in offsets.split(";")]
            out.append((min(p[0] for p in pairs), max(p[1] for p in pairs), label))
        except ValueError:
            raise CorpusFormatError(path, str(line_no), f"malformed text-bound annotation {line!r}") from None
    return out


def _ncbi_type(start: int, end: int, ann: List[Tuple[int, int, str]], counts: Dict[str, int]) -> str:
    for a_start, a_end, label in ann:
        if (a_start, a_end) == (start, end):
            return label
    for a_start, a_end, label in sorted(ann):
        if a_start < end and start < a_end:
            counts["type_from_overlap"] += 1
            return label
    counts["untyped"] += 1
    return "Disease"


def read_bc5cdr(data_dir: Path) -> Iterator[RawDocument]:
    """Read BC5CDR from BC5CDR-IOB/*.tsv, one RawDocument per sentence (see module doc).

    data_dir (Path): the corpus folder (holding BC5CDR-IOB/).
    YIELDS (RawDocument): one per sentence, splits train, dev and test.
    """
    data_dir = Path(data_dir)
    for split, stem in BC5CDR_SPLITS:
        path = data_dir / "BC5CDR-IOB" / f"{stem}.tsv"
        repairs = 0
        for idx, sent in enumerate(read_iob_file(path), start=1):
            doc = _sentence_document(sent, f"{split}-s{idx:05d}", split, path)
            repairs += doc.extra["iob_repairs"]
            yield doc
        if repairs:
            logger.warning("%s: %d orphan I- tags read as B- (conlleval rule)", path, repairs)


def _sentence_document(sent: IOBSentence, doc_id: str, split: str, path: Path) -> RawDocument:
    text = " ".join(sent.words)
    starts, pos = [], 0
    for word in sent.words:
        starts.append(pos)
        pos += len(word) + 1
    spans = []
    repairs = 0
    for s in decode_iob(sent.tags, sent.lines):
        start, end = starts[s.start], starts[s.end - 1] + len(sent.words[s.end - 1])
        spans.append(RawSpan(start, end, s.label, text=text[start:end], source=f"{path}:{s.line}"))
        repairs += int(s.repaired)
    return RawDocument(
        doc_id=doc_id,
        text=text,
        spans=spans,
        corpus="bc5cdr",
        lang="en",
        split=split,
        path=f"{path}:{sent.lines[0]}",
        words=list(sent.words),
        spaces=[True] * (len(sent.words) - 1) + [False],
        sent_starts=[0],
        extra={"pseudo_document": True, "iob_repairs": repairs, "line": sent.lines[0]},
    )
