"""Choose the dialogue model to package on the gold dev set and stage it as en_clinner_dialogue.

Candidates are the dialogue plan's evaluations (dialogue/plan.py) whose model and metrics file
exist, among the arms whose pipelines carry the dialogue components: the plain zero_shot arm is
the source model without them, and zero_shot_guard is that same model with them, so it stands
in. The choice metric is the strict micro F1 of metrics/<profile>/dialogue/ (the results page's
number); ties go to the earlier arm of `arms`, then to more gold dialogues. All of these scores
are on dev, which is also the only set the packaged scores can come from: meta.json says so.
"""
import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional, Sequence, Union

import srsly

from ..dialogue.plan import SELF_TRAINING, ZERO_SHOT_GUARD
from ..project.plan import TARGET_ONLY, TRANSFER_K, Evaluation, Plan
from .dialogue_card import dialogue_model_card
from .dialogue_meta import build_dialogue_meta, pipeline_components
from .select import stage_model

DIALOGUE_CANDIDATE_ARMS = (TRANSFER_K, SELF_TRAINING, ZERO_SHOT_GUARD, TARGET_ONLY)


@dataclass
class DialogueSelection:
    """The chosen evaluation, its metrics on dev and its strict micro F1."""

    evaluation: Evaluation
    metrics: Dict[str, Any]
    dev_score: float


def select_dialogue_model(plan: Plan, *, arms: Sequence[str] = DIALOGUE_CANDIDATE_ARMS) -> DialogueSelection:
    """The dialogue model with the best strict micro F1 on the gold dev set.

    plan (Plan): the dialogue plan (clinner dialogue-plan).
    arms (Sequence[str]): candidate arms, in order of preference for ties.
    RETURNS (DialogueSelection): the chosen evaluation and its metrics.
    """
    best = None
    for ev in plan.evaluations:
        if ev.arm not in arms or not Path(ev.model).is_dir() or not Path(ev.output).is_file():
            continue
        metrics = srsly.read_json(ev.output)
        score = ((metrics.get("strict") or {}).get("micro") or {}).get("f")
        if score is None:
            continue
        n = 10 ** 6 if ev.k in (None, "all") else int(ev.k)
        key = (float(score), -list(arms).index(ev.arm), n)
        if best is None or key > best[0]:
            best = (key, DialogueSelection(ev, metrics, float(score)))
    if best is None:
        raise FileNotFoundError(f"no dialogue model among {'/'.join(arms)} with dev metrics in plan {plan.profile} "
                                "(run the dialogue workflow, dialogue-evaluate included, first)")
    return best[1]


def package_stage_dialogue(
    *,
    plan: Plan,
    name: str,
    version: str,
    encoder: str,
    source_corpora: Sequence[str],
    output_dir: Union[str, Path],
    lang: str = "en",
    command: str = "",
    date: Optional[str] = None,
    machine: Optional[str] = None,
) -> Dict[str, object]:
    """Stage the best dev dialogue model with its meta.json and model card for `spacy package`.

    plan (Plan): the dialogue plan.
    name, version (str): package name (without language prefix) and version.
    encoder (str): encoder the models were trained with.
    source_corpora (Sequence[str]): corpora of the 3-label English source model.
    output_dir (Union[str, Path]): staging folder: model/ and meta.json.
    lang (str): package language prefix ("en": the pipelines' own config lang is "xx").
    command, date, machine (str): provenance of the scores, for the model card.
    RETURNS (Dict[str, object]): the chosen arm, its dev score and the staged paths.
    """
    from spacy.util import load_config

    from ..reporting.results import machine_description

    chosen = select_dialogue_model(plan)
    ev = chosen.evaluation
    model_dir = Path(ev.model)
    components = pipeline_components(load_config(model_dir / "config.cfg", interpolate=False))
    model_meta = srsly.read_json(model_dir / "meta.json") if (model_dir / "meta.json").is_file() else {}
    labels = sorted({lb for comp in (model_meta.get("labels") or {}).values() for lb in comp}
                    or set(chosen.metrics.get("labels") or []))
    runs = [r for r in plan.runs if r.model == ev.model]
    config = runs[0].config if runs else "source model + clinner_dialogue_turns + clinner_speaker_guard"
    run = {"arm": ev.arm, "k": ev.k, "seed": ev.seed, "config": config, "model": ev.model}
    meta = build_dialogue_meta(name=name, lang=lang, version=version, labels=labels, metrics=chosen.metrics, run=run,
                               encoder=encoder, source_corpora=source_corpora, components=components)
    card = dialogue_model_card(meta, command=command, date=date or datetime.date.today().isoformat(),
                               machine=machine or machine_description())
    staged = stage_model(model_dir, output_dir, card, meta)
    return {"run": Path(ev.output).stem, "arm": ev.arm, "dev": chosen.dev_score, "model": str(staged),
            "meta": str(Path(output_dir) / "meta.json"), "components": [c["name"] for c in components]}
