"""Dev curves of every training run of a plan, one small panel per arm: did each run converge?

Reads the ConsoleLogger.v3 log of each run (project/curve.py; `training/<profile>/.../train_log.jsonl`)
and draws dev F1 against training steps, one line per language/k/seed, the best checkpoint marked.
"""
from pathlib import Path
from typing import Dict, List, Sequence, Union

from ..project.curve import read_curve
from .tables import ARM_NAMES, arm_order


def plot_dev_curves(plans: Sequence[Union[str, Path]], output: Union[str, Path]) -> Dict[str, int]:
    """Write the PNG of every run's dev curve.

    plans (Sequence[Union[str, Path]]): plan JSONs (the main plan, the dialogue plan).
    output (Union[str, Path]): the PNG.
    RETURNS (Dict[str, int]): arm -> number of curves drawn.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..project.plan import Plan

    by_arm: Dict[str, List] = {}
    for plan_path in plans:
        if not Path(plan_path).is_file():
            continue
        for run in Plan.from_disk(plan_path).runs:
            if Path(run.log).is_file():
                points = read_curve(run.log)
                if points:
                    label = f"{run.lang}" + (f" k{run.k}" if run.k else "") + f" s{run.seed}"
                    by_arm.setdefault(run.arm, []).append((label, points))
    if not by_arm:
        raise ValueError(f"no training logs (train_log.jsonl) found for the runs of {list(map(str, plans))}")
    arms = sorted(by_arm, key=arm_order)
    cols = min(3, len(arms))
    rows = (len(arms) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    for ax, arm in zip(axes.flat, arms):
        for label, points in by_arm[arm]:
            steps = [p["step"] for p in points]
            scores = [100 * p["score"] for p in points]
            (line,) = ax.plot(steps, scores, lw=1, label=label)
            best = max(range(len(points)), key=lambda i: (scores[i], -steps[i]))
            ax.plot([steps[best]], [scores[best]], "o", color=line.get_color(), ms=4)
        ax.set_title(ARM_NAMES.get(arm, arm), fontsize=9)
        ax.set_xlabel("step", fontsize=8)
        ax.set_ylabel("dev F1", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=6, loc="lower right")
    for ax in list(axes.flat)[len(arms):]:
        ax.axis("off")
    fig.tight_layout()
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(output, dpi=110)
    plt.close(fig)
    return {arm: len(v) for arm, v in by_arm.items()}
