"""Dev curves of training runs: what spaCy's ConsoleLogger.v3 wrote, and where a run stopped.

A model has learned when its dev curve has flattened, not when a step count ran out (issue 10):
the runner records, for every run, how many evaluations it had, its best step and score, and
whether it ended by early stopping (patience) or at max_steps, and the results page plots the
curves (reporting/curves.py).
"""
import json
from pathlib import Path
from typing import Dict, List, Optional, Union


def read_curve(path: Union[str, Path]) -> List[Dict[str, float]]:
    """Read a ConsoleLogger.v3 JSONL log.

    path (Union[str, Path]): the log.
    RETURNS (List[Dict[str, float]]): one {"step", "epoch", "score", "loss"} per evaluation.
    """
    path = Path(path)
    points = []
    with path.open(encoding="utf8") as fileh:
        for i, line in enumerate(fileh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                points.append({"step": int(row["step"]), "epoch": int(row.get("epoch", 0)),
                               "score": float(row["score"]),
                               "loss": float(sum((row.get("losses") or {}).values()))})
            except (ValueError, KeyError, TypeError) as err:
                raise ValueError(f"{path}:line {i}: not a ConsoleLogger.v3 record ({err})") from None
    return points


def summarize_curve(points: List[Dict[str, float]], *, max_steps: int, patience: Optional[int]) -> Dict[str, object]:
    """Where a run stopped and why.

    points (List[Dict[str, float]]): read_curve's output.
    max_steps (int): the run's step limit.
    patience (Optional[int]): its early-stopping patience in steps.
    RETURNS (Dict[str, object]): evaluations, best_step, best_score, last_step, stopped_by
        ("patience": the dev score had not improved for `patience` steps, i.e. a plateau;
        "max_steps": the budget ran out, maybe before the plateau).
    """
    if not points:
        return {"evaluations": 0, "best_step": None, "best_score": None, "last_step": None, "stopped_by": None}
    best = max(points, key=lambda p: (p["score"], -p["step"]))
    last = points[-1]["step"]
    stopped = "patience" if patience and last - best["step"] >= patience and last < max_steps else "max_steps"
    return {"evaluations": len(points), "best_step": best["step"], "best_score": round(best["score"] * 100, 2),
            "last_step": last, "stopped_by": stopped}
