"""Assemble the translated Doc: text, tokens cut at entity edges, sentences, entities, metadata.

The doc text joins the units' translations with the whitespace kind that separated them in the
source (a newline if there was one, else a space). Tokens come from the target language's
tokenizer, split further wherever a projected entity starts or ends inside a token, so that every
placed entity becomes a Span without widening or shrinking it. doc.ents cannot overlap: placed
entities are taken marker-first, then by fallback strictness, then longer first, then leftmost,
and the rest are counted and listed as dropped. The metadata (util.set_meta) keeps the source
doc id, the translator signature, per-unit character alignment and every entity's fate.
"""
from typing import TYPE_CHECKING, Any, Dict, List, Set, Tuple

from spacy.language import Language
from spacy.tokens import Doc, Span

from ..util import get_meta, set_meta
from .report import DROPPED_OVERLAP, LOST, METHOD_ORDER, ProjectionReport
from .units import ENTS_KEY

if TYPE_CHECKING:  # pragma: no cover
    from .project import Job, Projector


def tokenize(nlp: Language, text: str, cuts: Set[int], sent_starts: Set[int]) -> Doc:
    """Tokenize text, splitting tokens at the given character offsets; mark sentence starts."""
    base = nlp.make_doc(text)
    words: List[str] = []
    spaces: List[bool] = []
    starts: List[int] = []
    for tok in base:
        inner = sorted(c - tok.idx for c in cuts if tok.idx < c < tok.idx + len(tok.text))
        edges = [0] + inner + [len(tok.text)]
        for a, b in zip(edges, edges[1:]):
            words.append(tok.text[a:b])
            spaces.append(False)
            starts.append(tok.idx + a)
        spaces[-1] = bool(tok.whitespace_)
    flags = [i == 0 or s in sent_starts for i, s in enumerate(starts)]
    return Doc(nlp.vocab, words=words, spaces=spaces, sent_starts=flags if words else None)


def _rank(method: str) -> int:
    return METHOD_ORDER.index(method) if method in METHOD_ORDER else len(METHOD_ORDER)


def build_doc(source: Doc, jobs: List["Job"], projector: "Projector", report: ProjectionReport) -> Doc:
    """Make the translated Doc of one source doc and add its counts to the report."""
    meta = get_meta(source)
    src_id = str(meta.get("doc_id") or f"doc-{jobs[0].unit.doc_index if jobs else '?'}")
    pieces: List[str] = []
    offset, sentence, prev_end = 0, 0, 0
    alignment: List[Dict[str, Any]] = []
    records: List[Dict[str, Any]] = []
    placed: List[Tuple[Any, int, int, str, Dict[str, Any]]] = []
    sent_starts: Set[int] = set()
    for job in jobs:
        unit = job.unit
        report.units += 1
        report.sentences += unit.sentences
        if job.parse is not None:
            report.marker_status.update(job.parse.status.values())
            report.stray_tags += job.parse.stray
            report.tag_residue += job.parse.residue
        if job.target:
            if pieces:
                sep = "\n" if "\n" in source.text[prev_end : unit.start] else " "
                pieces.append(sep)
                offset += len(sep)
            sent_starts.add(offset)
        t_start = offset
        pieces.append(job.target)
        offset += len(job.target)
        prev_end = unit.end
        alignment.append(
            {"source": [unit.start, unit.end], "target": [t_start, offset], "sentences": unit.sentences}
        )
        for k, ent in enumerate(unit.entities):
            report.entities += 1
            p = job.placements[k]
            rec = {"label": ent.label, "source": [ent.start, ent.end], "text": ent.text,
                   "sentence": sentence, "target": None, "method": LOST}
            records.append(rec)
            if p is None:
                report.count(ent.label, LOST)
                report.lost.append({"doc_id": src_id, "sentence": sentence, "label": ent.label,
                                    "text": ent.text, "reason": job.reasons[k] or "not-found",
                                    "source_sentence": unit.text, "translation": job.target})
                continue
            rec["target"], rec["method"] = [t_start + p.start, t_start + p.end], p.method
            report.ambiguous += int(p.ambiguous)
            placed.append((ent, t_start + p.start, t_start + p.end, p.method, rec))
        sentence += unit.sentences
    text = "".join(pieces)
    cuts = {b for _, s, e, _, _ in placed for b in (s, e)}
    doc = tokenize(projector.nlp, text, cuts, sent_starts)
    ents: List[Span] = []
    taken: List[Tuple[int, int]] = []
    groups: Dict[str, List[Span]] = {key: [] for key in projector.span_keys}
    for ent, s, e, method, rec in sorted(placed, key=lambda x: (_rank(x[3]), x[1] - x[2], x[1], x[0].label)):
        span = doc.char_span(s, e, label=ent.label)
        if span is None:  # cannot happen after the cuts above; never place it elsewhere
            raise AssertionError(f"{src_id}: projected span ({s}, {e}) is not token-aligned")
        for key in ent.origins:
            if key in groups:
                groups[key].append(span)
        if ENTS_KEY not in ent.origins:
            report.count(ent.label, method)
        elif any(s < te and ts < e for ts, te in taken):
            rec["method"] = DROPPED_OVERLAP
            report.count(ent.label, DROPPED_OVERLAP)
            report.dropped.append({"doc_id": src_id, "sentence": rec["sentence"], "label": ent.label,
                                   "text": ent.text, "reason": f"overlaps a span placed first ({method})"})
        else:
            taken.append((s, e))
            ents.append(span)
            report.count(ent.label, method)
    doc.ents = sorted(ents, key=lambda sp: sp.start)
    for key, spans in groups.items():
        doc.spans[key] = sorted(spans, key=lambda sp: (sp.start, sp.end))
    translation = {k: v for k, v in report.translator.items()}
    set_meta(doc, **meta)
    set_meta(
        doc, doc_id=f"{src_id}.{projector.tgt_lang}", lang=projector.tgt_lang, source_doc_id=src_id,
        source_lang=projector.src_lang, translator=projector.translator.name, translation=translation,
        text_from=projector.text_from, alignment=alignment, projection=records,
    )
    return doc
