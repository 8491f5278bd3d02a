"""Read the metrics files of a profile into records, and aggregate seeds and arm differences.

Layout (project/plan.py writes it; the dialogue workflow follows it with lang "dialogue"):
    <metrics-dir>/<lang>/<arm>[_k<k>]_s<seed>.json
Each file is a `clinner evaluate` metrics dict; "run" and "doc_counts" are used when present
(project/evaluate.py adds them), otherwise arm, k and seed come from the file name.

Intervals: one seed -> that run's bootstrap interval over test documents; several seeds ->
a bootstrap over documents of the strict counts pooled over seeds (each resample keeps every
seed's counts of the drawn documents). A gain of arm A over arm B on the same test documents is
a paired bootstrap: the same document draw for both arms.
"""
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy
import srsly

NAME_RE = re.compile(r"^(?P<arm>[a-z_]+?)(?:_k(?P<k>\d+|all))?_s(?P<seed>\d+)$")
SKIP_DIRS = {"installed", "heads"}  # installed packages and the head-to-head (docs/heads.md), reported apart


@dataclass
class Record:
    """The scores of one model on one test set."""

    lang: str
    arm: str
    k: Optional[str]
    seed: int
    f: Optional[float]
    p: Optional[float]
    r: Optional[float]
    low: Optional[float] = None
    high: Optional[float] = None
    macro_f: Optional[float] = None
    per_label: Dict[str, Dict[str, float]] = field(default_factory=dict)
    doc_ids: List[str] = field(default_factory=list)
    counts: Optional[numpy.ndarray] = None  # (n_docs, 3) strict TP, FP, FN
    n_train_docs: Optional[int] = None
    n_test_docs: Optional[int] = None
    train_seconds: Optional[float] = None  # wall seconds of the training run (run.json)
    curve: Dict[str, object] = field(default_factory=dict)  # project/curve.py summarize_curve
    path: str = ""


def read_record(path: Union[str, Path], lang: Optional[str] = None) -> Record:
    """Read one metrics JSON file.

    path (Union[str, Path]): <lang>/<arm>[_k<k>]_s<seed>.json.
    lang (Optional[str]): the language (default: the parent folder's name).
    RETURNS (Record): the record.
    """
    path = Path(path)
    data = srsly.read_json(path)
    run = data.get("run") or {}
    match = NAME_RE.match(path.stem)
    if not run and not match:
        raise ValueError(f"{path}: name is not <arm>[_k<k>]_s<seed>.json and the file has no 'run' entry")
    groups = match.groupdict() if match else {}
    micro = (data.get("strict") or {}).get("micro") or {}
    boot = data.get("bootstrap") or {}
    dc = data.get("doc_counts") or {}
    k = run.get("k", groups.get("k"))
    return Record(
        lang=run.get("lang") or lang or path.parent.name,
        arm=run.get("arm") or groups["arm"],
        k=None if k is None else str(k),
        seed=int(run.get("seed", groups.get("seed", 0))),
        f=micro.get("f"), p=micro.get("p"), r=micro.get("r"),
        low=boot.get("low"), high=boot.get("high"),
        macro_f=((data.get("strict") or {}).get("macro") or {}).get("f"),
        per_label=(data.get("strict") or {}).get("per_label") or {},
        doc_ids=list(dc.get("doc_ids") or []),
        counts=numpy.asarray(dc["tp_fp_fn"], dtype=numpy.int64).reshape(-1, 3) if dc.get("tp_fp_fn") else None,
        n_train_docs=run.get("n_docs"),
        n_test_docs=data.get("n_docs"),
        train_seconds=run.get("seconds"),
        curve=dict(run.get("curve") or {}),
        path=str(path),
    )


def read_metrics_dir(metrics_dir: Union[str, Path]) -> List[Record]:
    """Read every metrics file under <metrics_dir>/<lang>/ (sorted, so output is stable)."""
    metrics_dir = Path(metrics_dir)
    if not metrics_dir.is_dir():
        raise FileNotFoundError(f"{metrics_dir}: no metrics folder (run the evaluate-arms command first)")
    records = []
    for sub in sorted(p for p in metrics_dir.iterdir() if p.is_dir() and p.name not in SKIP_DIRS):
        records += [read_record(path, sub.name) for path in sorted(sub.glob("*.json"))]
    return records


def _micro_f(counts: numpy.ndarray) -> numpy.ndarray:
    tp, fp, fn = counts[..., 0], counts[..., 1], counts[..., 2]
    denom = 2 * tp + fp + fn
    return numpy.where(denom > 0, 2 * tp / numpy.maximum(denom, 1), 0.0)


@dataclass
class Cell:
    """An arm at one k in one language, over its seeds."""

    f: Optional[float]
    low: Optional[float]
    high: Optional[float]
    sd: Optional[float]
    n_seeds: int
    records: List[Record]


def aggregate(records: Sequence[Record], n_resamples: int = 1000, seed: int = 0) -> Cell:
    """Mean micro F1 over seeds with a 95% interval (see module docstring)."""
    fs = [r.f for r in records if r.f is not None]
    if not fs:
        return Cell(None, None, None, None, len(records), list(records))
    mean = float(numpy.mean(fs))
    sd = float(numpy.std(fs, ddof=1)) if len(fs) > 1 else None
    if len(records) == 1:
        return Cell(mean, records[0].low, records[0].high, sd, 1, list(records))
    stacked = _stack(records)
    if stacked is None:
        return Cell(mean, min(fs), max(fs), sd, len(records), list(records))
    draws = _draws(stacked.shape[1], n_resamples, seed)
    samples = _micro_f(stacked[:, draws].sum(axis=(0, 2)))
    low, high = numpy.quantile(samples, [0.025, 0.975])
    return Cell(mean, float(low), float(high), sd, len(records), list(records))


def paired_gain(a: Sequence[Record], b: Sequence[Record], n_resamples: int = 1000,
                seed: int = 0) -> Tuple[Optional[float], Optional[float], Optional[float]]:
    """F1(a) - F1(b) on the same documents, with a paired 95% bootstrap interval.

    RETURNS (Tuple[Optional[float], Optional[float], Optional[float]]): gain, low, high
        (low and high None when per-document counts are missing or documents differ).
    """
    ca, cb = aggregate(a), aggregate(b)
    if ca.f is None or cb.f is None:
        return None, None, None
    gain = ca.f - cb.f
    sa, sb = _stack(a), _stack(b)
    if sa is None or sb is None or a[0].doc_ids != b[0].doc_ids:
        return gain, None, None
    draws = _draws(sa.shape[1], n_resamples, seed)
    diff = _micro_f(sa[:, draws].sum(axis=(0, 2))) - _micro_f(sb[:, draws].sum(axis=(0, 2)))
    low, high = numpy.quantile(diff, [0.025, 0.975])
    return gain, float(low), float(high)


def _stack(records: Sequence[Record]) -> Optional[numpy.ndarray]:
    """(n_seeds, n_docs, 3) counts when every record has them for the same documents."""
    if not records or any(r.counts is None for r in records):
        return None
    if any(r.doc_ids != records[0].doc_ids for r in records):
        return None
    return numpy.stack([r.counts for r in records])


def _draws(n_docs: int, n_resamples: int, seed: int) -> numpy.ndarray:
    return numpy.random.default_rng(seed).integers(0, n_docs, size=(n_resamples, n_docs))
