"""The dialogue experiment as a project/plan.py Plan, plus the two steps that are not `spacy train`.

The plan reuses the project's runner and evaluator (`clinner run-arm`, `clinner evaluate-plan`)
with lang "dialogue", so metrics land in metrics/<profile>/dialogue/ where the results page
reads them. Arms, all scored on the gold dev set (the test set is not shared; tune on dev only):
    zero_shot        the 3-label English source model as is
    zero_shot_guard  the same with clinner_dialogue_turns + clinner_speaker_guard added (no training)
    target_only      k gold dialogues alone (configs/dialogue_target_only.cfg)
    transfer_k       the source model fine-tuned on k gold dialogues (configs/dialogue_transfer.cfg);
                     k = "all" is "transferred"
    self_training    the source model fine-tuned on the gold train set plus raw dialogues
                     pseudo-labelled by transfer_k(all) of the same seed
Layout: training/<profile>/dialogue/<arm>/..., corpus/dialogue-pseudo/<profile>/s<seed>/.
"""
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Union

from ..project.plan import SOURCE, TARGET_ONLY, TRANSFER_K, ZERO_SHOT, Evaluation, Plan, Run
from ..project.source_data import merge_docbins

LANG = "dialogue"
SOURCE_LANG = "en"
ZERO_SHOT_GUARD = "zero_shot_guard"
SELF_TRAINING = "self_training"


def make_dialogue_plan(
    *,
    profile: str,
    ks: Sequence[str],
    seeds: Sequence[int],
    max_steps: int,
    eval_frequency: int,
    encoder: str,
    overrides: Sequence[str] = (),
    configs_dir: str = "configs",
    patience: Optional[int] = None,
    source_patience: Optional[int] = None,
    gold_dir: str = "corpus/dialogue-gold",
    source_dir: str = "corpus/source-dialogue",
    pseudo_dir: str = "corpus/dialogue-pseudo",
    training_dir: str = "training",
    metrics_dir: str = "metrics",
) -> Plan:
    """Build the runs and evaluations of the dialogue arms.

    profile (str): profile name ("quick", "full"), part of every output path.
    ks (Sequence[str]): numbers of gold dialogues ("10", "25", "all").
    seeds (Sequence[int]): seeds (each draws its own nested k subsets).
    max_steps (int): training steps per run.
    eval_frequency (int): steps between dev evaluations.
    encoder (str): encoder directory, paths.encoder of the source and target-only runs.
    overrides (Sequence[str]): the profile's spaCy config overrides ('--section.key', value, ...),
        the same as the main plan's: the runner gives each to the configs that have its key, so
        the dialogue runs train under the budget the es/fr runs do.
    configs_dir (str): folder of the arm configs (the main plan's: configs or configs/features).
    patience (Optional[int]): early-stopping patience in steps (the main plan's).
    source_patience (Optional[int]): the source runs' patience (None: patience; the main plan's).
    RETURNS (Plan): the plan.
    """
    tdir, mdir = f"{training_dir}/{profile}/{LANG}", f"{metrics_dir}/{profile}/{LANG}"
    gold_train, gold_dev = f"{gold_dir}/train.spacy", f"{gold_dir}/dev.spacy"
    common = {"max_steps": max_steps, "eval_frequency": eval_frequency, "patience": patience}
    plan = Plan(profile=profile, settings={"ks": list(ks), "seeds": list(seeds), "encoder": encoder,
                                           "domain": LANG, "overrides": list(overrides),
                                           "configs_dir": configs_dir, **common})
    for seed in seeds:
        src = Run(SOURCE, SOURCE_LANG, seed, f"{configs_dir}/source.cfg", f"{source_dir}/train.spacy",
                  f"{source_dir}/dev.spacy", f"{tdir}/source/s{seed}",
                  **{**common, "patience": source_patience or patience})
        plan.runs.append(src)
        plan.evaluations.append(Evaluation(ZERO_SHOT, LANG, seed, src.model, gold_dev, f"{mdir}/{ZERO_SHOT}_s{seed}.json"))
        guard_model = f"{tdir}/{ZERO_SHOT_GUARD}/s{seed}/model-best"
        plan.evaluations.append(Evaluation(ZERO_SHOT_GUARD, LANG, seed, guard_model, gold_dev,
                                           f"{mdir}/{ZERO_SHOT_GUARD}_s{seed}.json"))
        for k in ks:
            plan.runs.append(Run(TARGET_ONLY, LANG, seed, f"{configs_dir}/dialogue_target_only.cfg",
                                 f"{tdir}/target_only/k{k}_s{seed}/train.spacy", gold_dev,
                                 f"{tdir}/target_only/k{k}_s{seed}", k=k, subset_of=gold_train, **common))
            plan.runs.append(Run(TRANSFER_K, LANG, seed, f"{configs_dir}/dialogue_transfer.cfg",
                                 f"{tdir}/transfer_k/k{k}_s{seed}/train.spacy", gold_dev,
                                 f"{tdir}/transfer_k/k{k}_s{seed}", k=k, source_model=src.model,
                                 subset_of=gold_train, **common))
        plan.runs.append(Run(SELF_TRAINING, LANG, seed, f"{configs_dir}/dialogue_transfer.cfg",
                             f"{pseudo_dir}/{profile}/s{seed}/train.spacy", gold_dev, f"{tdir}/{SELF_TRAINING}/s{seed}",
                             source_model=src.model, **common))
    for run in plan.runs:
        if run.arm != SOURCE:
            ksuf = f"_k{run.k}" if run.k is not None else ""
            plan.evaluations.append(Evaluation(run.arm, LANG, run.seed, run.model, gold_dev,
                                               f"{mdir}/{run.arm}{ksuf}_s{run.seed}.json", k=run.k))
    return plan


def pseudo_label_model(plan: Plan, seed: int) -> str:
    """The model that pseudo-labels for a seed's self-training run: transfer_k on all gold dialogues."""
    runs = [r for r in plan.select(arm=TRANSFER_K) if r.seed == seed]
    if not runs:
        raise ValueError(f"the dialogue plan has no transfer_k run for seed {seed}")
    best = [r for r in runs if r.k == "all"] or sorted(runs, key=lambda r: int(r.k))[-1:]
    return best[0].model


def build_self_training_data(
    plan: Plan,
    *,
    raw: Union[str, Path],
    gold_train: Union[str, Path],
    threshold: Union[float, Mapping[int, float]],
    unit: str = "sentence",
    scope: Union[str, Mapping[int, str]] = "all",
    limit: int = 0,
) -> List[Dict[str, object]]:
    """Pseudo-label the raw dialogues with each seed's transferred model; merge with gold train.

    plan (Plan): the dialogue plan.
    raw (Union[str, Path]): the raw dialogues (.spacy from convert-raw-dialogue).
    gold_train (Union[str, Path]): the gold dialogue training DocBin.
    threshold (Union[float, Mapping[int, float]]): confidence threshold, or one per seed (the
        thresholds choose_thresholds picked on dev).
    scope (Union[str, Mapping[int, str]]): confidence scope ("all" or "entities"), or one per seed.
    unit (str): "sentence" or "doc" (training/self_training.py).
    limit (int): pseudo-label only the first N raw dialogues (0: all).
    RETURNS (List[Dict[str, object]]): per self-training run: pseudo-labelling statistics and docs written.
    """
    from ..training.self_training import pseudo_label

    out = []
    for run in plan.select(arm=SELF_TRAINING):
        model = pseudo_label_model(plan, run.seed)
        if not Path(model).is_dir():
            raise FileNotFoundError(f"{model}: no transferred model for seed {run.seed} (run the transfer arm first)")
        pseudo = Path(run.train).parent / "pseudo.spacy"
        seed_threshold = threshold[run.seed] if isinstance(threshold, Mapping) else threshold
        seed_scope = scope[run.seed] if isinstance(scope, Mapping) else scope
        stats = pseudo_label(inputs=[raw], model=model, output=pseudo, threshold=seed_threshold, unit=unit,
                             scope=seed_scope, limit=limit)
        stats.update(threshold=seed_threshold, scope=seed_scope)
        stats["train_docs"] = merge_docbins([gold_train, pseudo], run.train)
        stats["output"] = run.train
        out.append(stats)
    return out


def choose_thresholds(plan: Plan, gold_dev: Union[str, Path], **kwargs) -> Dict[str, object]:
    """Choose each seed's self-training threshold on the gold dev set (training/threshold.py).

    gold_dev (Union[str, Path]): the gold dialogue dev DocBin.
    kwargs: thresholds, min_kept, scope (threshold.sweep).
    RETURNS (Dict[str, object]): {"seeds": {seed: sweep result}} (seeds as strings, for JSON).
    """
    from ..training.threshold import sweep_model

    seeds = sorted({run.seed for run in plan.select(arm=SELF_TRAINING)})
    return {"seeds": {str(seed): sweep_model(pseudo_label_model(plan, seed), gold_dev, **kwargs) for seed in seeds}}


def build_guarded_zero_shot(plan: Plan) -> List[str]:
    """Save each source model with the dialogue components added, for the zero_shot_guard evaluation.

    RETURNS (List[str]): the pipeline directories written.
    """
    import spacy

    from .annotate import ensure_dialogue_components

    written = []
    sources = {r.seed: r.model for r in plan.select(arm=SOURCE)}
    for ev in plan.evaluations:
        if ev.arm != ZERO_SHOT_GUARD:
            continue
        nlp = spacy.load(sources[ev.seed])
        ensure_dialogue_components(nlp)
        Path(ev.model).parent.mkdir(parents=True, exist_ok=True)
        nlp.to_disk(ev.model)
        written.append(ev.model)
    return written
