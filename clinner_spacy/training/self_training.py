"""Self-training on unlabelled dialogue: pseudo-label raw text, keep what the model is sure of.

A trained pipeline (the transferred dialogue model) annotates raw dialogues; each unit
(speaker turn / sentence) whose labelling passes the confidence threshold is kept
(training/confidence.py defines the confidence). Retraining on the result plus the gold
dialogue train set is the self-training arm.

Confidence comes from clinner_ner's tag probabilities. A pipeline without clinner_ner gives
none: the documented proxy is then confidence 1.0 for every token of doc.ents' labelling, so
the threshold keeps every unit (min_entities still applies); a warning says so.

Kept units become training Docs either one per unit (unit="sentence") or as their whole
dialogue with the rejected units' tokens marked as missing annotation (unit="doc"), which
clinner_ner's partial-label loss skips. Every Doc says annotated_labels = the tagger's labels.
"""
from collections import Counter
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Union

import numpy
from spacy.language import Language
from spacy.tokens import Doc, DocBin, Span
from spacy.util import minibatch

from ..dialogue.annotate import ensure_dialogue_components
from ..dialogue.io import read_dialogues
from ..progress import Progress
from ..util import get_meta, logger, set_meta
from .confidence import UnitDecision, doc_units, final_tag_ids, select_units, token_confidences

NER_FACTORY = "clinner_ner"
UNITS = ("sentence", "doc")
CORPUS = "dialogue-pseudo"


def find_tagger(nlp: Language) -> Optional[str]:
    """Name of the (last) clinner_ner component in a pipeline, or None."""
    names = [name for name in nlp.pipe_names if nlp.get_pipe_meta(name).factory == NER_FACTORY]
    return names[-1] if names else None


def tagger_probabilities(nlp: Language, tagger: Optional[str], docs: List[Doc]) -> List[Optional[numpy.ndarray]]:
    """clinner_ner's tag probabilities for docs the pipeline has annotated (None without it).

    The tagger reads its features from what earlier components left on the docs
    (doc._.trf_data for a transformer listener), so only its small head runs again.
    """
    if tagger is None or not any(len(doc) for doc in docs):
        return [None] * len(docs)
    # the softmax outputs, or the marginals of a CRF head (whose raw outputs are not probabilities)
    return nlp.get_pipe(tagger).tag_probabilities(docs)


def pseudo_docs(doc: Doc, decisions: List[UnitDecision], unit: str) -> List[Doc]:
    """The training Docs of one annotated doc, given its unit decisions.

    RETURNS (List[Doc]): a Doc per kept unit ("sentence"), or the whole doc with the rejected
        units' tokens as missing annotation ("doc"; nothing when no unit is kept).
    """
    kept = [d for d in decisions if d.kept]
    if unit == "sentence":
        return [doc[d.start : d.end].as_doc() for d in kept]
    if not kept:
        return []
    out = doc.copy()
    ents = [Span(out, e.start, e.end, label=e.label_) for e in doc.ents if any(d.start <= e.start and e.end <= d.end for d in kept)]
    missing = [out[d.start : d.end] for d in decisions if not d.kept and d.end > d.start]
    out.set_ents(ents, missing=missing, default="unmodified")
    return [out]


def entity_labels(nlp: Language, tagger: Optional[str]) -> List[str]:
    """The labels a pipeline can predict: the tagger's, else those of every doc.ents writer."""
    if tagger is not None:
        return list(nlp.get_pipe(tagger).labels)
    labels = set()
    for name in nlp.pipe_names:
        if "doc.ents" in nlp.get_pipe_meta(name).assigns:
            labels.update(nlp.pipe_labels.get(name, []))
    return sorted(labels)


def pseudo_label(
    *,
    inputs: Iterable[Union[str, Path]],
    model: Union[str, Path, Language],
    output: Union[str, Path],
    threshold: float = 0.9,
    unit: str = "sentence",
    scope: str = "all",
    min_entities: int = 0,
    batch_size: int = 8,
    limit: int = 0,
    show_progress: Optional[bool] = None,
) -> Dict[str, object]:
    """Pseudo-label raw dialogues and write the confident units as a DocBin.

    inputs (Iterable[Union[str, Path]]): .spacy (from convert-raw-dialogue), .jsonl or .txt files.
    model (Union[str, Path, Language]): the pipeline (dialogue components are added if missing).
    output (Union[str, Path]): the .spacy file to write.
    threshold (float): minimum unit confidence, in [0, 1].
    unit (str): "sentence" (a Doc per kept unit) or "doc" (whole dialogues, rejected units missing).
    scope (str): "all" or "entities" (see training/confidence.py).
    min_entities (int): drop units with fewer entities.
    batch_size (int): dialogues per batch.
    limit (int): stop after this many dialogues (0: all).
    show_progress (Optional[bool]): progress bar; None shows it on a terminal only.
    RETURNS (Dict[str, object]): counts: dialogues, units per verdict, docs written, entities per label.
    """
    import spacy

    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}, not {unit!r}")
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be in [0, 1], not {threshold}")
    nlp = model if isinstance(model, Language) else spacy.load(model)
    ensure_dialogue_components(nlp)
    tagger = find_tagger(nlp)
    if tagger is None:
        logger.warning("pipeline %s has no %s: every token gets confidence 1.0, the threshold keeps all", nlp.pipe_names, NER_FACTORY)
    labels = entity_labels(nlp, tagger)
    dialogues = [d for path in inputs for d in read_dialogues(path, vocab=nlp.vocab)]
    dialogues = dialogues[:limit] if limit else dialogues
    model_name = nlp.meta.get("name", "pipeline") if isinstance(model, Language) else str(model)
    verdicts: Counter = Counter()
    entities: Counter = Counter()
    docbin = DocBin(store_user_data=True)
    with Progress(len(dialogues), desc="pseudo-label", unit="dialogue", enabled=show_progress) as progress:
        for batch in minibatch(dialogues, batch_size):
            docs = list(nlp.pipe([d.extra.get("doc") or d.text for d in batch]))
            for dialogue, doc, probs in zip(batch, docs, tagger_probabilities(nlp, tagger, docs)):
                tag_ids = final_tag_ids(doc, labels) if probs is not None else numpy.zeros((len(doc),), "i")
                units = doc_units(doc)
                decisions = select_units(
                    doc, token_confidences(probs, tag_ids), units,
                    threshold=threshold, scope=scope, min_entities=min_entities,
                )
                verdicts.update(d.reason for d in decisions)
                kept = [d for d in decisions if d.kept]
                for n, out in enumerate(pseudo_docs(doc, decisions, unit)):
                    whole = unit == "doc"
                    out.user_data = {}
                    set_meta(
                        out,
                        corpus=CORPUS,
                        doc_id=dialogue.dialogue_id if whole else f"{dialogue.dialogue_id}#{kept[n].start}",
                        lang=get_meta(doc, "lang", "en"),
                        split="train",
                        annotated_labels=list(labels),
                        source_doc_id=dialogue.dialogue_id,
                        pseudo_model=model_name,
                        pseudo_threshold=threshold,
                        pseudo_confidence=min(d.confidence for d in kept) if whole else kept[n].confidence,
                    )
                    entities.update(e.label_ for e in out.ents)
                    docbin.add(out)
            progress.update(len(batch))
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    docbin.to_disk(output)
    return {"dialogues": len(dialogues), "units": dict(verdicts), "docs": len(docbin), "entities": dict(entities), "tagger": tagger}
