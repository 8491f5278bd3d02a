"""Metrics as JSON (for machines: results tables, model cards) and as a markdown table (for people).

The JSON is the dict evaluate.evaluate_docs returns; its keys are documented there. The
markdown has one row per label, then micro, macro and weighted rows, strict and lenient side
by side, the bootstrap interval, and a line for every kind of span the scoring set aside.
"""
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

import srsly

from .spans import FILTERED_GOLD, FILTERED_PRED, MISSING_GOLD, NOT_ANNOTATED, UNALIGNED

EXPLAIN = {
    NOT_ANNOTATED: "predictions of labels the gold corpus does not annotate (not counted as false positives)",
    FILTERED_PRED: "predictions of labels outside --labels",
    FILTERED_GOLD: "gold spans of labels outside --labels",
    MISSING_GOLD: "predictions on tokens whose gold annotation is missing (as spaCy's scorer)",
    UNALIGNED: "predictions that align to no gold token",
}


def write_json(metrics: Dict[str, Any], path: Union[str, Path]) -> None:
    """Write metrics as indented JSON, creating the parent folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    srsly.write_json(path, metrics)


def write_markdown(metrics: Dict[str, Any], path: Union[str, Path], title: Optional[str] = None) -> None:
    """Write the markdown report, creating the parent folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_markdown(metrics, title=title), encoding="utf8")


def _pct(value: Optional[float]) -> str:
    return "-" if value is None else f"{100 * value:.2f}"


def _row(name: str, strict: Optional[Dict], lenient: Optional[Dict], support: Any = "") -> str:
    s, le = strict or {}, lenient or {}
    cells = [name, str(support), _pct(s.get("p")), _pct(s.get("r")), _pct(s.get("f")), _pct(le.get("p")),
             _pct(le.get("r")), _pct(le.get("f"))]
    return "| " + " | ".join(cells) + " |"


def to_markdown(metrics: Dict[str, Any], title: Optional[str] = None) -> str:
    """Render metrics as a markdown table with notes.

    metrics (Dict[str, Any]): as returned by evaluate.evaluate_docs.
    title (Optional[str]): a heading line.
    RETURNS (str): the markdown text.
    """
    strict, lenient = metrics["strict"], metrics["lenient"]
    lines: List[str] = [f"### {title}", ""] if title else []
    lines += [
        "| label | support | strict P | strict R | strict F1 | lenient P | lenient R | lenient F1 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    labels = sorted(set(strict["per_label"]) | set(lenient["per_label"]))
    for label in labels:
        s = strict["per_label"].get(label)
        lines.append(_row(label, s, lenient["per_label"].get(label), s["support"] if s else 0))
    micro = strict["micro"] or {}
    lines.append(_row("**micro**", strict["micro"], lenient["micro"], micro.get("support", 0)))
    lines.append(_row("**macro**", strict["macro"], lenient["macro"]))
    lines.append(_row("**weighted**", strict["weighted"], lenient["weighted"]))
    lines.append("")
    lines.append(f"Documents scored: {metrics.get('n_docs', '?')}.")
    boot = metrics.get("bootstrap")
    if boot and boot.get("low") is not None:
        lines.append(
            f"Strict micro F1 {_pct(boot['f'])}, {int(100 * boot['level'])}% bootstrap CI "
            f"[{_pct(boot['low'])}, {_pct(boot['high'])}] ({boot['n_resamples']} resamples of "
            f"{boot['n_docs']} documents, seed {boot['seed']})."
        )
    for reason, by_label in sorted(metrics.get("ignored", {}).items()):
        detail = ", ".join(f"{label} {n}" for label, n in sorted(by_label.items()))
        lines.append(f"Not scored: {sum(by_label.values())} {EXPLAIN.get(reason, reason)} ({detail}).")
    for note in metrics.get("notes", []):
        lines.append(note)
    return "\n".join(lines) + "\n"
