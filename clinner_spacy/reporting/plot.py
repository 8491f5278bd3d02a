"""The learning curve: strict micro F1 against the number of target training documents, per arm.

One panel per target; target-only and transferred + k are lines over k (with their 95%
intervals as error bars); zero-shot and transferred use no target documents and are drawn at
k = 0; self-training (dialogue) uses all gold documents and is drawn at k = all. "all" is placed
at the number of documents it stands for. Each arm keeps one colour and marker in every panel,
and arms at the same k are nudged apart so their intervals stay readable.
"""
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

from .collect import Record, aggregate
from .tables import ARM_NAMES, group

CURVE_ARMS = ("target_only", "transfer_k", "baseline")
POINT_ARMS = ("zero_shot", "zero_shot_guard", "transfer")
AT_ALL_ARMS = ("self_training",)  # trained on every gold document: drawn at k = all
STYLES = {  # arm -> (format, colour)
    "target_only": ("o-", "tab:blue"), "transfer_k": ("s-", "tab:orange"), "zero_shot": ("^", "tab:red"),
    "zero_shot_guard": ("v", "tab:purple"), "transfer": ("D", "tab:green"), "self_training": ("*", "tab:brown"),
    "baseline": ("x--", "tab:gray"),
}


def _x(k: Optional[str], recs: Sequence[Record], fallback_all: float) -> float:
    if k is None:
        return 0.0
    if k == "all":
        n = next((r.n_train_docs for r in recs if r.n_train_docs), None)
        return float(n) if n else fallback_all
    return float(k)


def curve_points(records: Sequence[Record], lang: str) -> Dict[str, List[Tuple[float, float, float, float]]]:
    """arm -> [(x, F1, low, high)] in percent, sorted by x."""
    groups = {key: recs for key, recs in group(records).items() if key[0] == lang}
    numeric = [float(k) for (_, _, k) in groups if k not in (None, "all")]
    fallback_all = (max(numeric) * 1.5) if numeric else 1.0
    all_recs = [r for (_, _, k), recs in groups.items() if k == "all" for r in recs]
    out: Dict[str, List[Tuple[float, float, float, float]]] = {}
    for (_, arm, k), recs in groups.items():
        if arm not in CURVE_ARMS + POINT_ARMS + AT_ALL_ARMS:
            continue
        if arm in AT_ALL_ARMS:
            k, recs_for_x = "all", all_recs or recs
        else:
            recs_for_x = recs
        cell = aggregate(recs)
        if cell.f is None:
            continue
        low = cell.low if cell.low is not None else cell.f
        high = cell.high if cell.high is not None else cell.f
        out.setdefault(arm, []).append((_x(k, recs_for_x, fallback_all), 100 * cell.f, 100 * low, 100 * high))
    return {arm: sorted(points) for arm, points in out.items()}


def plot_learning_curve(records: Sequence[Record], langs: Sequence[str], output: Union[str, Path],
                        title: str = "", panel_titles: Optional[Dict[str, str]] = None) -> Path:
    """Draw the learning curves into a PNG (matplotlib, Agg backend: no display needed).

    records (Sequence[Record]): the metrics records.
    langs (Sequence[str]): one panel per target, in this order.
    output (Union[str, Path]): the PNG path.
    title (str): the figure's title.
    panel_titles (Optional[Dict[str, str]]): per target, its panel's title (default "target: <lang>").
    RETURNS (Path): the PNG path.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    langs = list(langs) or ["?"]
    fig, axes = plt.subplots(1, len(langs), figsize=(5 * len(langs), 4), squeeze=False, sharey=True)
    handles: Dict[str, object] = {}
    order = list(STYLES)
    for ax, lang in zip(axes[0], langs):
        points_by_arm = curve_points(records, lang)
        span = max((x for pts in points_by_arm.values() for x, *_ in pts), default=1.0) or 1.0
        for i, (arm, points) in enumerate(sorted(points_by_arm.items(), key=lambda a: order.index(a[0]) if a[0] in order else 99)):
            nudge = (i - len(points_by_arm) / 2) * 0.012 * span  # arms at one k side by side
            xs, ys, lows, highs = zip(*points)
            err = [[y - lo for y, lo in zip(ys, lows)], [hi - y for y, hi in zip(ys, highs)]]
            fmt, colour = STYLES.get(arm, ("o-", None))
            handles[arm] = ax.errorbar([x + nudge for x in xs], ys, yerr=err, fmt=fmt, color=colour, capsize=3,
                                       markersize=9 if arm in AT_ALL_ARMS else 6, label=ARM_NAMES.get(arm, arm))
        ax.set_title((panel_titles or {}).get(lang, f"target: {lang}"))
        ax.set_xlabel("target training documents (k)")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("strict micro F1 (%)")
    arms = sorted(handles, key=lambda a: order.index(a) if a in order else 99)
    fig.legend([handles[a] for a in arms], [ARM_NAMES.get(a, a) for a in arms], loc="lower center",
               ncol=len(arms), fontsize="small", frameon=False)
    if title:
        fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(output, dpi=120)
    plt.close(fig)
    return output
