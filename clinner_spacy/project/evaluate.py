"""Score every evaluation of the plan on its gold test file, skipping those already up to date.

Metrics are those of `clinner evaluate` (evaluation/evaluate.py). Two things are added to each
JSON file: "run" (arm, language, k, seed, model, and the input signature used to skip), and
"doc_counts" (strict TP/FP/FN per test document, in gold order), from which the results page
computes paired bootstrap intervals for the gain of one arm over another on the same documents.
"""
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import srsly

from ..util import get_meta
from .plan import Evaluation, Plan
from .signature import code_stamp, dir_stamp, file_md5, signature

ProgressFn = Callable[[str, Evaluation, int, int, float], None]


def evaluation_signature(ev: Evaluation, labels: Sequence[str], n_bootstrap: int) -> str:
    """Signature of everything an evaluation's metrics depend on: model, gold, labels, resamples
    and the code that predicts and scores (code_stamp)."""
    return signature(model=dir_stamp(ev.model), gold=file_md5(ev.gold), labels=sorted(labels),
                     n_bootstrap=n_bootstrap, code=code_stamp())


def score_model(model: str, gold: str, *, labels: Sequence[str], n_bootstrap: int, seed: int = 0) -> Dict:
    """Run a pipeline on a gold DocBin's texts and score it, with per-document strict counts.

    model (str): pipeline directory or installed package name.
    gold (str): the gold .spacy file.
    labels (Sequence[str]): labels scored (others are set aside, as `clinner evaluate --labels`).
    n_bootstrap (int): bootstrap resamples for the interval of micro F1.
    RETURNS (Dict): the metrics of evaluation.evaluate_docs plus "doc_counts".
    """
    import spacy
    from spacy.tokens import DocBin

    from ..evaluation.bootstrap import doc_count_matrix
    from ..evaluation.evaluate import evaluate_docs, predict
    from ..evaluation.spans import doc_spans

    nlp = spacy.load(model)
    gold_docs = list(DocBin().from_disk(gold).get_docs(nlp.vocab))
    pred_docs = predict(nlp, gold_docs, progress=False)
    metrics = evaluate_docs(gold_docs, pred_docs, labels=labels, n_bootstrap=n_bootstrap, seed=seed)
    ids, scored = [], []
    for i, (g, p) in enumerate(zip(gold_docs, pred_docs)):
        spans = doc_spans(p, g, labels=sorted(labels), doc_id=str(get_meta(g, "doc_id") or i))
        if spans is not None:  # the same documents evaluate_docs scored
            ids.append(str(get_meta(g, "doc_id") or i))
            scored.append(spans)
    metrics["doc_counts"] = {"doc_ids": ids, "tp_fp_fn": doc_count_matrix(scored).tolist()}
    metrics["model"], metrics["gold"] = str(model), str(gold)
    return metrics


def evaluate_plan(
    plan: Plan,
    *,
    labels: Sequence[str],
    n_bootstrap: int = 1000,
    lang: Optional[str] = None,
    progress: Optional[ProgressFn] = None,
    score: Callable[..., Dict] = score_model,
) -> List[Dict[str, object]]:
    """Score the plan's evaluations whose metrics are missing or stale.

    plan (Plan): the experiment plan.
    labels (Sequence[str]): labels scored.
    n_bootstrap (int): bootstrap resamples.
    lang (Optional[str]): only this language.
    progress (Optional[ProgressFn]): called with (status, evaluation, index, total, seconds elapsed).
    score (Callable[..., Dict]): the scoring function (tests swap it).
    RETURNS (List[Dict[str, object]]): per evaluation: output, status, micro F1.
    """
    evals = [e for e in plan.evaluations if lang is None or e.lang == lang]
    out, start = [], time.time()
    for i, ev in enumerate(evals, 1):
        if not Path(ev.model).is_dir():
            raise FileNotFoundError(f"{ev.model}: no model for {ev.arm} {ev.lang} (run the training commands first)")
        sig = evaluation_signature(ev, labels, n_bootstrap)
        path = Path(ev.output)
        old = srsly.read_json(path) if path.is_file() else {}
        status = "skip" if old.get("run", {}).get("signature") == sig else "score"
        if progress:
            progress(status, ev, i, len(evals), time.time() - start)
        if status == "score":
            metrics = score(ev.model, ev.gold, labels=labels, n_bootstrap=n_bootstrap)
            metrics["run"] = {"arm": ev.arm, "lang": ev.lang, "k": ev.k, "seed": ev.seed, "model": ev.model,
                              "profile": plan.profile, "signature": sig, **_run_info(ev.model)}
            path.parent.mkdir(parents=True, exist_ok=True)
            srsly.write_json(path, metrics)
            old = metrics
        micro = (old.get("strict") or {}).get("micro") or {}
        out.append({"output": str(path), "status": status, "f": micro.get("f")})
    return out


def _run_info(model: str) -> Dict[str, object]:
    """Training facts worth carrying into the metrics (documents trained on, seconds)."""
    info_path = Path(model).parent / "run.json"
    info = srsly.read_json(info_path) if info_path.is_file() else {}
    return {key: info[key] for key in ("n_docs", "seconds", "dev_performance", "curve") if key in info}
