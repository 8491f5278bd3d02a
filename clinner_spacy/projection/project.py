"""Translate source docs sentence by sentence and carry their entities onto the translation.

Which text becomes the English doc: by default ("marked") the translation of the marked
sentence with its tags removed, so a marker-placed entity sits exactly where its tags were, with
no second alignment step that could lose it. Markers do cost something: rule-based MT does not
reorder words across a tag ("<e1>tumor</e1> <e2>maligno</e2>" stays "tumor malignant"). With
"plain", every sentence is also translated without markers, that clean translation becomes the
doc text, and each entity is searched in it (its marker text first, then its own translation)
with the fallback locators; whatever cannot be found there is reported lost.
"""
import time
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from ..progress import Progress
from ..translate.base import TranslationError, Translator
from ..util import get_meta
from .build import build_doc
from .fallback import Locator, Placement, default_locators, locate
from .markers import OK, MarkerParse, collapse_spaces, mark_text, parse_markers
from .report import MARKER, ProjectionReport
from .units import SourceEntity, Unit, source_entities, split_units

TEXT_FROM = ("marked", "plain")
#: Projector(max_loss=...), `--max-translation-loss`: the share of a document's sentences
#: (empty translations) or entity markers its translation may lose before it is an error
DEFAULT_MAX_LOSS = 0.5


@dataclass
class Job:
    """One unit on its way through projection."""

    unit: Unit
    spans: List[Optional[Tuple[int, int]]]  # per entity: local source span, None if unusable
    marked: str = ""
    target: str = ""
    parse: Optional[MarkerParse] = None
    placements: List[Optional[Placement]] = field(default_factory=list)
    reasons: List[str] = field(default_factory=list)


def _local_span(unit: Unit, ent: SourceEntity) -> Optional[Tuple[int, int]]:
    start, end = max(ent.start - unit.start, 0), min(ent.end - unit.start, len(unit.text))
    while start < end and unit.text[start].isspace():
        start += 1
    while end > start and unit.text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def translate_unique(
    translator: Translator, texts: Iterable[str], src_lang: str, tgt_lang: str, *,
    batch_size: int, desc: str, show_progress: Optional[bool],
) -> Dict[str, str]:
    """Translate each distinct non-blank text once, in batches, with a progress bar.

    RETURNS (Dict[str, str]): text -> translation (blank texts map to "").
    """
    texts = list(texts)
    unique = list(dict.fromkeys(t for t in texts if t.strip()))
    out = {t: "" for t in texts if not t.strip()}
    with Progress(len(unique), desc=desc, enabled=show_progress) as bar:
        for i in range(0, len(unique), batch_size):
            batch = unique[i : i + batch_size]
            got = translator.translate(batch, src_lang, tgt_lang)
            if len(got) != len(batch):
                raise TranslationError(
                    f"{translator.name} returned {len(got)} translations for {len(batch)} texts"
                )
            out.update(zip(batch, got))
            bar.update(len(batch))
    return out


class Projector:
    """Projects the entities of source docs onto their translations.

    translator (Translator): the backend (wrap it in CachedTranslator to cache and resume).
    src_lang (str), tgt_lang (str): ISO 639-1 codes.
    batch_size (int): sentences per translator call.
    text_from (str): "marked" or "plain", the text that becomes the translated doc (see above).
    span_keys (Sequence[str]): doc.spans groups projected besides doc.ents (overlaps allowed there).
    locators (Optional[Sequence[Locator]]): the fallback chain; default fallback.default_locators().
    show_progress (Optional[bool]): progress bars; None shows them only on a terminal.
    max_loss (float): a document whose translation is empty for more than this share of its
        sentences, or lost more than this share of its entity markers, is an error (the
        translator is broken, not the document); its translations are dropped from a cache
        wrapper. 1.0 (the default here) accepts anything, so that the fallback chain can be
        used on its own; project_docbin and the commands default to DEFAULT_MAX_LOSS.
    """

    def __init__(
        self, translator: Translator, *, src_lang: str, tgt_lang: str, batch_size: int = 128,
        text_from: str = "marked", span_keys: Sequence[str] = (),
        locators: Optional[Sequence[Locator]] = None, show_progress: Optional[bool] = None,
        max_loss: float = 1.0,
    ):
        if not 0.0 <= max_loss <= 1.0:
            raise ValueError(f"max_loss (--max-translation-loss) must be in [0, 1], got {max_loss}")
        if text_from not in TEXT_FROM:
            raise ValueError(f"text_from must be one of {TEXT_FROM}, got {text_from!r}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        if src_lang == tgt_lang:
            raise ValueError(f"source and target language are both {src_lang!r}")
        self.translator = translator
        self.src_lang, self.tgt_lang = src_lang, tgt_lang
        self.batch_size = batch_size
        self.text_from = text_from
        self.span_keys = tuple(span_keys)
        self.locators = list(locators) if locators is not None else default_locators()
        self.show_progress = show_progress
        self.max_loss = max_loss
        self._nlp: Optional[Language] = None

    @property
    def nlp(self) -> Language:
        """A blank pipeline of the target language: its tokenizer and vocab make the docs."""
        if self._nlp is None:
            self._nlp = spacy.blank(self.tgt_lang)
        return self._nlp

    def _translate(self, texts: Iterable[str], desc: str) -> Dict[str, str]:
        return translate_unique(
            self.translator, texts, self.src_lang, self.tgt_lang,
            batch_size=self.batch_size, desc=desc, show_progress=self.show_progress,
        )

    def __call__(self, docs: Iterable[Doc]) -> Tuple[List[Doc], ProjectionReport]:
        """Translate docs and project their entities.

        docs (Iterable[Doc]): source docs (entities in doc.ents, sentence boundaries optional).
        RETURNS (Tuple[List[Doc], ProjectionReport]): translated docs, in order, and the report.
        """
        t0 = time.perf_counter()
        docs = list(docs)
        # an unsupported pair fails here, before any work, even if no doc has text; a cache
        # wrapper (translate.cache.CachedTranslator) would answer [] without asking its backend
        getattr(self.translator, "translator", self.translator).translate([], self.src_lang, self.tgt_lang)
        report = ProjectionReport(
            src_lang=self.src_lang, tgt_lang=self.tgt_lang, text_from=self.text_from,
            translator={"name": self.translator.name, **self.translator.cache_signature()},
        )
        # translate.nllb_ct2 and translate.cache count the outputs they cut; this run's share
        truncated_before = getattr(self.translator, "truncated", 0)
        per_doc: List[List[Job]] = []
        for i, doc in enumerate(docs):
            lang = get_meta(doc, "lang")
            if lang is not None and lang != self.src_lang:
                raise ValueError(
                    f"doc {i} ({get_meta(doc, 'doc_id')}) is in {lang!r}, not the source language {self.src_lang!r}"
                )
            units, merges = split_units(doc, i, source_entities(doc, self.span_keys))
            report.merged_sentences += merges
            jobs = [Job(u, [_local_span(u, e) for e in u.entities]) for u in units]
            for job in jobs:
                usable = [s for s in job.spans if s is not None]
                job.marked = mark_text(job.unit.text, usable) if usable else job.unit.text
            per_doc.append(jobs)
        jobs = [job for jobs in per_doc for job in jobs]
        texts = [job.marked for job in jobs]
        if self.text_from == "plain":
            texts += [job.unit.text for job in jobs if job.marked != job.unit.text]
        done = self._translate(texts, f"translate {self.src_lang}->{self.tgt_lang}")
        for job in jobs:
            self._place_markers(job, done)
        self._check_loss(docs, per_doc, done)
        failed = {e.text for job in jobs for e, p in zip(job.unit.entities, job.placements) if p is None}
        alone = self._translate(sorted(failed), "translate entities") if failed else {}
        for job in jobs:
            self._place_fallback(job, alone)
        report.texts_translated = len(set(done) | set(alone))
        report.truncated = getattr(self.translator, "truncated", 0) - truncated_before
        out = []
        for doc, doc_jobs in zip(docs, per_doc):
            out.append(build_doc(doc, doc_jobs, self, report))
        report.docs = len(docs)
        report.seconds = time.perf_counter() - t0
        return out, report

    def _check_loss(self, docs: List[Doc], per_doc: List[List[Job]], done: Dict[str, str]) -> None:
        """Raise TranslationError for documents whose translation is mostly empty or unmarked."""
        bad: List[str] = []
        texts: List[str] = []
        for i, jobs in enumerate(per_doc):
            units = [job for job in jobs if job.unit.text.strip()]
            empty = sum(1 for job in units if not done[job.marked].strip())
            statuses = [st for job in jobs if job.parse is not None for st in job.parse.status.values()]
            lost = sum(1 for st in statuses if st != OK)
            reasons = []
            if units and empty / len(units) > self.max_loss:
                reasons.append(f"{empty} of {len(units)} sentences translated to empty text")
            if statuses and lost / len(statuses) > self.max_loss:
                reasons.append(f"{lost} of {len(statuses)} entity markers lost")
            if reasons:
                bad.append(f"doc {i} ({get_meta(docs[i], 'doc_id') or '?'}): {', '.join(reasons)}")
                texts += [job.marked for job in jobs] + [job.unit.text for job in jobs]
        if not bad:
            return
        forget = getattr(self.translator, "forget", None)
        if forget is not None:
            forget(texts, self.src_lang, self.tgt_lang)
        shown = "; ".join(bad[:5]) + (f"; and {len(bad) - 5} more" if len(bad) > 5 else "")
        raise TranslationError(
            f"{self.translator.name} {self.src_lang}->{self.tgt_lang} output looks broken for {len(bad)} of "
            f"{len(docs)} documents (more than {self.max_loss:.0%} lost): {shown}. Nothing was written and these "
            "translations were not cached; check the translator, or raise --max-translation-loss to accept them."
        )

    def _place_markers(self, job: Job, done: Dict[str, str]) -> None:
        n = len(job.unit.entities)
        job.placements = [None] * n
        job.reasons = ["empty-source-span" if s is None else "" for s in job.spans]
        ids = {}  # marker id -> entity index; ids count usable spans only (see mark_text)
        for k, span in enumerate(job.spans):
            if span is not None:
                ids[len(ids) + 1] = k
        if ids:
            job.parse = parse_markers(done[job.marked], {i: job.spans[k] for i, k in ids.items()})
        if self.text_from == "plain" or job.parse is None:
            job.target = collapse_spaces(done[job.unit.text])[0]
        else:
            job.target = job.parse.text
        if job.parse is None:
            return
        for i, k in ids.items():
            status = job.parse.status[i]
            job.reasons[k] = f"marker-{status}"
            if status != OK:
                continue
            start, end = job.parse.spans[i]
            if self.text_from == "marked":
                job.placements[k] = Placement(start, end, MARKER)
                continue
            # plain text: the marker's words must occur in the clean translation as they are
            found = locate(job.target, [job.parse.text[start:end]], self.locators[:1], hint=self._hint(job, k))
            if found is not None:
                job.placements[k] = Placement(found.start, found.end, MARKER, 1.0, found.ambiguous)
            else:
                job.reasons[k] = "marker-text-not-in-plain-translation"

    def _hint(self, job: Job, k: int) -> float:
        span = job.spans[k]
        return 0.5 if span is None else (span[0] + span[1]) / 2 / max(len(job.unit.text), 1)

    def _place_fallback(self, job: Job, alone: Dict[str, str]) -> None:
        ents = job.unit.entities
        for k, ent in enumerate(ents):
            if job.placements[k] is not None or job.spans[k] is None:
                continue
            queries = []
            if job.parse is not None and self.text_from == "plain":
                i = 1 + sum(1 for s in job.spans[:k] if s is not None)
                if i in job.parse.spans:
                    queries.append(job.parse.text[slice(*job.parse.spans[i])])
            queries += [alone.get(ent.text, ""), ent.text]
            # spans already given to entities that do not overlap this one in the source
            forbidden = [
                (p.start, p.end)
                for j, p in enumerate(job.placements)
                if p is not None and (ents[j].end <= ent.start or ent.end <= ents[j].start)
            ]
            placed = locate(job.target, queries, self.locators, forbidden=forbidden, hint=self._hint(job, k))
            if placed is not None:
                job.placements[k] = placed
