"""Choose the self-training confidence threshold on the gold dev set, from one inference pass.

Retraining once per candidate threshold costs a training run each; what the threshold decides,
though, is which pseudo-labelled units (speaker turns) go into training, and how good those are
can be measured directly: the pseudo-labelling model annotates the gold dev dialogues, every
unit gets the confidence that pseudo_label() would give it (training/confidence.py), and for
each candidate threshold the kept units' predicted entities are scored against the gold ones
(strict: same characters, same label). A kept unit's missed mentions become "O" training
signal, so recall inside kept units counts as much as precision: the score is their F1.

Both confidence scopes are scored: "all" (the least sure token of the turn) keeps mostly turns
without mentions, since mention tokens are where a small model is unsure; "entities" (the least
sure mention token) also keeps turns whose mentions are confident. The (scope, threshold) chosen
is the one with the best kept-unit F1 among those keeping at least `min_kept` of the units (a
threshold that keeps three turns is precise and useless); ties go to the higher threshold.
Nothing here looks at the test set.
"""
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set, Tuple, Union

import numpy
from spacy.language import Language
from spacy.tokens import Doc, DocBin

from ..dialogue.annotate import ensure_dialogue_components
from .confidence import SCOPES, doc_units, final_tag_ids, select_units, token_confidences
from .self_training import entity_labels, find_tagger, tagger_probabilities

DEFAULT_THRESHOLDS = (0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99)
Mention = Tuple[int, int, str]


def unit_scores(pred: Doc, gold: Doc, units: List[Tuple[int, int]]) -> List[Tuple[int, int, int]]:
    """Strict (tp, fp, fn) of each unit of `pred` against `gold` (same text), by character offsets.

    A gold mention belongs to the unit holding its first character.
    """
    starts = [pred[s].idx if s < len(pred) else len(pred.text) for s, _ in units]
    gold_by_unit: List[Set[Mention]] = [set() for _ in units]
    for ent in gold.ents:
        i = max(0, int(numpy.searchsorted(starts, ent.start_char, side="right")) - 1)
        gold_by_unit[i].add((ent.start_char, ent.end_char, ent.label_))
    out = []
    for (start, end), gold_set in zip(units, gold_by_unit):
        pred_set = {(e.start_char, e.end_char, e.label_) for e in pred.ents if start <= e.start < end}
        tp = len(pred_set & gold_set)
        out.append((tp, len(pred_set) - tp, len(gold_set) - tp))
    return out


def sweep(
    nlp: Language,
    gold_docs: Sequence[Doc],
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    *,
    scopes: Sequence[str] = SCOPES,
    min_kept: float = 0.25,
    batch_size: int = 8,
) -> Dict[str, object]:
    """Score the kept units at each threshold and choose one (see module docstring).

    nlp (Language): the pseudo-labelling pipeline (dialogue components are added if missing).
    gold_docs (Sequence[Doc]): gold dev dialogues.
    thresholds (Sequence[float]): candidates in [0, 1].
    scopes (Sequence[str]): confidence scopes to score, as pseudo_label()'s scope.
    min_kept (float): the least share of units a chosen threshold must keep.
    RETURNS (Dict[str, object]): rows (scope, threshold, units kept, share, tp/fp/fn, p/r/f of
        kept units), the all-units row, the chosen scope and threshold and the rule that chose them.
    """
    if not gold_docs:
        raise ValueError("no gold documents to choose a threshold on")
    bad = [t for t in thresholds if not 0.0 <= t <= 1.0]
    if bad:
        raise ValueError(f"thresholds must be in [0, 1]: {bad}")
    ensure_dialogue_components(nlp)
    tagger = find_tagger(nlp)
    if tagger is None:
        raise ValueError(f"pipeline {nlp.pipe_names} has no clinner_ner: no confidences to choose a threshold by")
    labels = entity_labels(nlp, tagger)
    confidences: Dict[str, List[float]] = {scope: [] for scope in scopes}
    counts: List[Tuple[int, int, int]] = []
    for i in range(0, len(gold_docs), batch_size):
        batch = list(gold_docs[i : i + batch_size])
        preds = list(nlp.pipe([g.text for g in batch]))
        for gold, pred, probs in zip(batch, preds, tagger_probabilities(nlp, tagger, preds)):
            units = doc_units(pred)
            token_conf = token_confidences(probs, final_tag_ids(pred, labels))
            by_scope = {scope: select_units(pred, token_conf, units, threshold=0.0, scope=scope) for scope in scopes}
            for i, score in enumerate(unit_scores(pred, gold, units)):
                if by_scope[scopes[0]][i].reason in ("blank", "crossing"):
                    continue  # never kept, whatever the threshold
                for scope in scopes:
                    confidences[scope].append(by_scope[scope][i].confidence)
                counts.append(score)
    tally = numpy.asarray(counts, dtype="i").reshape(-1, 3)

    def row(scope: str, threshold: Optional[float]) -> Dict[str, object]:
        conf = numpy.asarray(confidences[scope], dtype="f")
        keep = conf >= threshold if threshold is not None else numpy.ones(len(conf), bool)
        tp, fp, fn = (int(v) for v in tally[keep].sum(axis=0)) if keep.any() else (0, 0, 0)
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        return {"scope": scope, "threshold": threshold, "units_kept": int(keep.sum()), "units": len(conf),
                "kept_share": float(keep.mean()) if len(conf) else 0.0, "tp": tp, "fp": fp, "fn": fn,
                "p": p, "r": r, "f": 2 * p * r / (p + r) if p + r else 0.0}

    rows = [row(scope, t) for scope in scopes for t in sorted(thresholds)]
    eligible = [r for r in rows if r["kept_share"] >= min_kept] or rows[:1]
    best = max(eligible, key=lambda r: (r["f"], r["threshold"]))
    return {"rows": rows, "all_units": row(scopes[0], None), "chosen": best["threshold"], "scope": best["scope"],
            "min_kept": min_kept, "n_docs": len(gold_docs),
            "rule": f"best kept-turn strict F1 among (scope, threshold) pairs keeping >= {min_kept:.0%} of turns; "
                    "ties to the higher threshold"}


def sweep_model(model: Union[str, Path], gold: Union[str, Path], **kwargs) -> Dict[str, object]:
    """sweep() for a pipeline directory and a gold .spacy file (both named in errors)."""
    import spacy

    if not Path(model).is_dir():
        raise FileNotFoundError(f"{model}: no pipeline directory (train the transferred dialogue arm first)")
    if not Path(gold).is_file():
        raise FileNotFoundError(f"{gold}: no gold file")
    nlp = spacy.load(model)
    docs = list(DocBin().from_disk(gold).get_docs(nlp.vocab))
    out = sweep(nlp, docs, **kwargs)
    out.update(model=str(model), gold=str(gold))
    return out

