"""RawDocument -> spaCy Doc -> one DocBin per split, with validation and the conversion report.

Every reader yields RawDocuments in upstream terms; this module checks them (offsets, span
text, labels, empty documents), maps labels through the corpus's labelmap, tokenises with
spacy.blank(lang) (or the words the corpus gives), sets sentences (from the corpus, else a
rule sentencizer) and applies the overlap policy (policy.py) to fill doc.ents.
"""
import hashlib
from collections import Counter
from typing import Callable, Dict, Iterable, Iterator, List, Tuple

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from ..util import set_meta
from .base import CorpusFormatError, RawDocument, RawSpan
from .labelmap import LabelMap
from .policy import ALL_SPANS_KEY, resolve
from .report import ConversionReport


def _same_text(given: str, found: str) -> bool:
    # Standoff files write a span's newlines as spaces and join discontinuous fragments with a
    # space, so compare modulo whitespace; a shifted offset still fails.
    return given.split() == found.split()


def validate(raw: RawDocument, labelmap: LabelMap) -> Tuple[List[Tuple[RawSpan, str]], Counter]:
    """Check a document and map its labels.

    raw (RawDocument): the document as read.
    labelmap (LabelMap): the corpus's label mapping.
    RETURNS (Tuple[List[Tuple[RawSpan, str]], Counter]): the mentions with their schema labels,
        and the counts of ignored upstream labels.
    """
    path = raw.path or raw.doc_id
    if not raw.text.strip():
        raise CorpusFormatError(path, f"document {raw.doc_id}", "empty document (no text)")
    n = len(raw.text)
    mentions: List[Tuple[RawSpan, str]] = []
    ignored: Counter = Counter()
    for span in raw.spans:
        where = span.source or f"document {raw.doc_id}"
        label = labelmap.lookup(span.label, path, where)
        parts = span.fragments or [(span.start, span.end)]
        for start, end in parts:
            if not 0 <= start < end:
                raise CorpusFormatError(path, where, f"bad offsets {start}-{end} (need 0 <= start < end)")
            if end > n:
                raise CorpusFormatError(
                    path, where, f"offsets {start}-{end} run past the end of the text ({n} characters)"
                )
        if span.text is not None:
            found = " ".join(raw.text[s:e] for s, e in parts)
            if not _same_text(span.text, found):
                raise CorpusFormatError(
                    path, where, f"span text {span.text!r} does not match the text at {span.start}-{span.end}: {found!r}"
                )
        if label is None:
            ignored[span.label] += 1
        else:
            mentions.append((span, label))
    return mentions, ignored


def make_doc(raw: RawDocument, nlp: Language, sentencizer: Callable[[Doc], Doc]) -> Doc:
    """Tokenise a document and set its sentence boundaries.

    raw (RawDocument): the document; its words/spaces are used when given.
    nlp (Language): a blank pipeline of the document's language (for its tokenizer).
    sentencizer (Callable[[Doc], Doc]): used when the corpus gives no sentences.
    RETURNS (Doc): the tokenised document.
    """
    if raw.words is not None:
        doc = Doc(nlp.vocab, words=raw.words, spaces=raw.spaces)
        if doc.text != raw.text:
            raise CorpusFormatError(raw.path, f"document {raw.doc_id}", "words and spaces do not rebuild the text")
    else:
        doc = nlp.make_doc(raw.text)
    if raw.sent_starts is None or len(doc) == 0:
        return sentencizer(doc)
    starts = set()
    token_ends = [t.idx + len(t) for t in doc]
    i = 0
    for char in sorted(raw.sent_starts):
        # The sentence starts at the first token that ends after its first character.
        while i < len(doc) and token_ends[i] <= char:
            i += 1
        if i < len(doc):
            starts.add(i)
    starts.add(0)
    for token in doc:
        token.is_sent_start = token.i in starts
    return doc


def raw_to_doc(
    raw: RawDocument,
    nlp: Language,
    labelmap: LabelMap,
    report: ConversionReport,
    sentencizer: Callable[[Doc], Doc],
) -> Doc:
    """Convert one validated document: tokens, sentences, entities, metadata.

    RETURNS (Doc): the Doc with doc.ents, doc.spans[ALL_SPANS_KEY] and clinner metadata.
    """
    mentions, ignored = validate(raw, labelmap)
    doc = make_doc(raw, nlp, sentencizer)
    for upstream, n in ignored.items():
        report.count_ignored(raw.split, upstream, n)
    # Non-mention annotations a reader skipped (e.g. BRAT notes and relations).
    for kind, n in raw.extra.get("ignored_annotations", {}).items():
        report.count_ignored(raw.split, kind, n)
    # E3C marks some mentions as discontinuous without giving their fragments (see e3c.py).
    for label in raw.extra.get("discontinuous_whole_labels", []):
        mapped = labelmap.lookup(label, raw.path, f"document {raw.doc_id}")
        if mapped is not None:
            report.count(raw.split, mapped, "discontinuous_kept_whole")
    ents, every = resolve(doc, mentions, raw.split, report)
    doc.ents = ents
    doc.spans[ALL_SPANS_KEY] = every
    set_meta(
        doc,
        corpus=raw.corpus,
        doc_id=raw.doc_id,
        lang=raw.lang,
        split=raw.split,
        annotated_labels=list(labelmap.annotated_labels),
    )
    ent_counts = Counter(e.label_ for e in doc.ents)
    report.add_doc(raw.split, len(list(doc.sents)), len(doc), dict(ent_counts))
    return doc


def check_split_leak(raw: RawDocument, seen: Dict[str, RawDocument]) -> str:
    """Raise when a document's text (modulo whitespace) is already in another split.

    A copied file under another name would otherwise sit in train and test at once. Pseudo-
    documents (BC5CDR sentences, conll.py) are exempt: boilerplate sentences recur in
    different abstracts.

    raw (RawDocument): the document.
    seen (Dict[str, RawDocument]): text key -> the first converted document with that text.
    RETURNS (str): the document's text key ("" for exempt ones), for the caller to add to seen
        once the document is converted.
    """
    if raw.extra.get("pseudo_document"):
        return ""
    key = hashlib.sha256(" ".join(raw.text.split()).encode("utf-8")).hexdigest()
    first = seen.get(key)
    if first is not None and first.split != raw.split:
        raise CorpusFormatError(
            raw.path or raw.doc_id, f"document {raw.doc_id}",
            f"same text as document {first.doc_id} ({first.path or first.doc_id}), which is in {first.split}: "
            f"a text in both {first.split} and {raw.split} leaks between the splits",
        )
    return key


def convert_documents(
    raws: Iterable[RawDocument],
    *,
    lang: str,
    labelmap: LabelMap,
    report: ConversionReport,
    skip_invalid: bool = False,
) -> Iterator[Doc]:
    """Convert documents one by one; invalid ones raise, or are skipped and reported.

    raws (Iterable[RawDocument]): the documents from a reader.
    lang (str): language code for spacy.blank.
    labelmap (LabelMap): the corpus's label mapping.
    report (ConversionReport): counts are added here.
    skip_invalid (bool): skip (and report) a document that fails validation, or whose text is
        already in another split, instead of raising.
    YIELDS (Doc): converted documents.
    """
    nlp = spacy.blank(lang)
    sentencizer = nlp.add_pipe("sentencizer")
    texts: Dict[str, RawDocument] = {}
    for raw in raws:
        try:
            key = check_split_leak(raw, texts)
            doc = raw_to_doc(raw, nlp, labelmap, report, sentencizer)
        except CorpusFormatError as err:
            if not skip_invalid:
                raise
            report.skipped.append(
                {"doc_id": raw.doc_id, "path": raw.path, "split": raw.split, "reason": str(err)}
            )
            continue
        if key:
            texts.setdefault(key, raw)
        yield doc
