"""Choose the model to package for a language (on dev, never on test) and stage it for `spacy package`.

Candidates are the runs validated on the target-language dev split (target-only and transferred
+ k); the transferred arm alone is chosen on translated dev data, so its dev score is not
comparable and it is left out. Ties go to transferred + k, then to more target documents.
Staging hard-links the model files (no 0.5 GB copy; a new file never changes the original)
and adds the model card; meta.json is written beside it for --meta-path.
"""
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Sequence, Union

import srsly

from ..project.plan import TARGET_ONLY, TRANSFER_K, Plan, Run
from ..project.signature import read_run_info

CANDIDATE_ARMS = (TRANSFER_K, TARGET_ONLY)


@dataclass
class Selection:
    """The chosen run, its dev score and the metric name."""

    run: Run
    dev_score: float
    metric: str


def dev_score(run: Run, metric: str = "ents_f") -> Optional[float]:
    """A run's dev score from its run.json, else from model-best/meta.json."""
    perf = read_run_info(run.output).get("dev_performance") or {}
    if metric not in perf:
        meta = Path(run.model) / "meta.json"
        perf = srsly.read_json(meta).get("performance", {}) if meta.is_file() else {}
    value = perf.get(metric)
    return float(value) if value is not None else None


def select_model(plan: Plan, lang: str, *, arms: Sequence[str] = CANDIDATE_ARMS, metric: str = "ents_f") -> Selection:
    """The run of `lang` with the best dev score among `arms`.

    plan (Plan): the experiment plan.
    lang (str): the target language.
    arms (Sequence[str]): candidate arms, in order of preference for ties.
    metric (str): the dev metric in model-best's meta.json performance.
    RETURNS (Selection): the chosen run.
    """
    best = None
    for run in plan.runs:
        if run.lang != lang or run.arm not in arms or not Path(run.model).is_dir():
            continue
        score = dev_score(run, metric)
        if score is None:
            continue
        n = 10 ** 6 if run.k == "all" else int(run.k or 0)
        key = (score, -list(arms).index(run.arm), n)
        if best is None or key > best[0]:
            best = (key, Selection(run, score, metric))
    if best is None:
        raise FileNotFoundError(f"no trained {'/'.join(arms)} model with a dev {metric} for {lang} in plan "
                                f"{plan.profile} (run the training commands first)")
    return best[1]


def stage_model(model_dir: Union[str, Path], output_dir: Union[str, Path], readme: str,
                meta: Dict[str, object]) -> Path:
    """Stage a pipeline for `spacy package`: <output>/model (linked files + README.md) and <output>/meta.json.

    model_dir (Union[str, Path]): the trained pipeline (model-best).
    output_dir (Union[str, Path]): the staging folder (replaced).
    readme (str): the model card; spacy package ships README.md from the pipeline folder.
    meta (Dict[str, object]): meta.json entries, merged over the pipeline's own by --meta-path.
    RETURNS (Path): the staged model folder.
    """
    output_dir = Path(output_dir)
    if output_dir.exists():
        shutil.rmtree(output_dir)
    target = output_dir / "model"

    def link_or_copy(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:  # another filesystem: copy
            shutil.copy2(src, dst)

    shutil.copytree(model_dir, target, copy_function=link_or_copy)
    card = target / "README.md"
    if card.exists():  # a hard link: unlink rather than write through it into the trained model
        card.unlink()
    card.write_text(readme, encoding="utf8")
    srsly.write_json(output_dir / "meta.json", meta)
    return target
