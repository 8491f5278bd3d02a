"""Score predicted against gold Docs: what `clinner evaluate` runs.

The metrics dict (written as JSON by report.write_json) holds:
- "strict", "lenient": {"micro", "macro", "weighted": {"p", "r", "f", ...}, "per_label":
  {label: {"p", "r", "f", "tp", "fp", "fn", "support"}}} (scoring.summarize);
- "bootstrap": the 95% interval of strict micro F1 over documents, or None (bootstrap.py);
- "n_docs" scored, "n_docs_without_annotation" skipped, "labels" (the restriction or None);
- "ignored": {reason: {label: count}} of spans set aside (spans.py), and "notes" saying so;
- "gold", "pred" or "model": where the documents came from.
"""
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Union

import spacy
from spacy.tokens import Doc

from ..checks import check_not_empty
from ..docbins import read_docs
from ..progress import Progress
from ..util import get_meta
from .bootstrap import bootstrap_micro_f
from .scoring import score_spans
from .spans import DocSpans, doc_spans


def evaluate_docs(
    gold_docs: Sequence[Doc],
    pred_docs: Sequence[Doc],
    *,
    labels: Optional[Iterable[str]] = None,
    n_bootstrap: int = 1000,
    seed: int = 0,
) -> Dict[str, Any]:
    """Score predictions against gold documents, paired by position.

    gold_docs (Sequence[Doc]): the reference documents.
    pred_docs (Sequence[Doc]): the predictions, same order and texts.
    labels (Optional[Iterable[str]]): restrict scoring to these labels; None for all.
    n_bootstrap (int): bootstrap resamples for the micro F1 interval; 0 for none.
    seed (int): the bootstrap seed.
    RETURNS (Dict[str, Any]): the metrics (see module docstring).
    """
    if len(gold_docs) != len(pred_docs):
        raise ValueError(f"{len(gold_docs)} gold documents but {len(pred_docs)} predicted ones")
    labels = sorted(set(labels)) if labels else None
    scored: List[DocSpans] = []
    skipped = 0
    for i, (gold, pred) in enumerate(zip(gold_docs, pred_docs)):
        gold_id, pred_id = get_meta(gold, "doc_id"), get_meta(pred, "doc_id")
        if gold_id and pred_id and gold_id != pred_id:
            raise ValueError(f"document {i}: gold is {gold_id!r} but prediction is {pred_id!r}")
        spans = doc_spans(pred, gold, labels=labels, doc_id=str(gold_id or i))
        if spans is None:
            skipped += 1
        else:
            scored.append(spans)
    metrics: Dict[str, Any] = score_spans(scored)
    metrics["bootstrap"] = bootstrap_micro_f(scored, n_resamples=n_bootstrap, seed=seed) if n_bootstrap else None
    ignored: Dict[str, Dict[str, int]] = {}
    for doc in scored:
        for (reason, label), n in doc.ignored.items():
            ignored.setdefault(reason, {}).setdefault(label, 0)
            ignored[reason][label] += n
    metrics.update(
        n_docs=len(scored),
        n_docs_without_annotation=skipped,
        labels=labels,
        ignored=ignored,
        notes=_notes(ignored, skipped, labels),
    )
    return metrics


def _notes(ignored: Dict[str, Dict[str, int]], skipped: int, labels: Optional[List[str]]) -> List[str]:
    notes = [
        "Predictions of a label that the gold corpus does not annotate (its annotated_labels metadata) "
        "are not counted as false positives."
    ]
    if labels:
        notes.append(f"Scores are restricted to the labels {', '.join(labels)}.")
    if skipped:
        notes.append(f"{skipped} gold documents have no entity annotation and were not scored.")
    return notes


def check_labels(labels: Iterable[str], gold_docs: Sequence[Doc], pred_docs: Sequence[Doc]) -> None:
    """Refuse a label restriction naming labels that no document has (a typo scores F1 0).

    labels (Iterable[str]): the restriction.
    gold_docs (Sequence[Doc]), pred_docs (Sequence[Doc]): the documents scored.
    """
    known = set()
    for doc in gold_docs:
        known.update(get_meta(doc, "annotated_labels") or ())
    for doc in list(gold_docs) + list(pred_docs):
        known.update(ent.label_ for ent in doc.ents)
    unknown = sorted(set(labels) - known)
    if unknown:
        raise ValueError(
            f"--labels {' '.join(unknown)}: no gold or predicted document has "
            f"{'this label' if len(unknown) == 1 else 'these labels'} "
            f"(labels present: {', '.join(sorted(known)) or 'none'})"
        )


def predict(nlp: "spacy.Language", gold_docs: Sequence[Doc], *, batch_size: int = 8, progress: bool = True) -> List[Doc]:
    """Run a pipeline on the texts of gold documents (tokenised by the pipeline, as spacy evaluate does).

    nlp (Language): the pipeline.
    gold_docs (Sequence[Doc]): the documents whose texts to annotate.
    batch_size (int): nlp.pipe batch size.
    progress (bool): show a progress bar (count, rate, time left).
    RETURNS (List[Doc]): one predicted Doc per gold Doc, with the gold doc_id metadata.
    """
    texts = (nlp.make_doc(doc.text) for doc in gold_docs)
    out = []
    with Progress(len(gold_docs), desc="predict", unit="doc", enabled=progress) as bar:
        for gold, pred in zip(gold_docs, nlp.pipe(texts, batch_size=batch_size)):
            pred.user_data["clinner"] = {"doc_id": get_meta(gold, "doc_id")}
            out.append(pred)
            bar.update(1)
    return out


def evaluate_files(
    *,
    gold: Path,
    pred: Optional[Path] = None,
    model: Optional[Union[str, Path]] = None,
    labels: Optional[Iterable[str]] = None,
    n_bootstrap: int = 1000,
    seed: int = 0,
    batch_size: int = 8,
    progress: bool = True,
    allow_empty: bool = False,
) -> Dict[str, Any]:
    """Score a predicted DocBin, or a pipeline run on the gold texts, against a gold DocBin.

    gold (Path): the gold .spacy file.
    pred (Optional[Path]): a .spacy file of predictions (same documents, same order).
    model (Optional[Union[str, Path]]): a pipeline (directory or package name) to run on the gold texts.
    labels (Optional[Iterable[str]]): restrict scoring to these labels; each must occur in the
        gold or predicted documents (or the gold's annotated_labels), so a typo is an error.
    allow_empty (bool): score a gold file without documents instead of failing.
    RETURNS (Dict[str, Any]): the metrics, with "gold" and "pred" or "model" recorded.
    """
    if (pred is None) == (model is None):
        raise ValueError("give exactly one of pred (a .spacy file) or model (a pipeline)")
    # the gold file is checked before a pipeline loads (seconds), then read in its vocab
    check_not_empty(len(read_docs(gold)), gold, allow_empty=allow_empty)
    nlp = spacy.load(model) if model is not None else spacy.blank("xx")
    gold_docs = read_docs(gold, nlp.vocab)
    if pred is not None:
        pred_docs = read_docs(pred, nlp.vocab)
    else:
        pred_docs = predict(nlp, gold_docs, batch_size=batch_size, progress=progress)
    if labels:
        check_labels(labels, gold_docs, pred_docs)
    metrics = evaluate_docs(gold_docs, pred_docs, labels=labels, n_bootstrap=n_bootstrap, seed=seed)
    metrics["gold"] = str(gold)
    metrics["pred" if pred is not None else "model"] = str(pred if pred is not None else model)
    return metrics

