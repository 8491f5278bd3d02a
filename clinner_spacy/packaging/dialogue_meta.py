"""meta.json for the English dialogue pipeline (en_clinner_dialogue): dev scores, components, data, licenses.

Unlike es/fr, the dialogue test set is not public, so the reported "performance" is the strict
span score on the gold DEV set, the same set the model was chosen on: it is optimistic, and the
meta says so in "description" and in the "clinner" entry. Training data follow the chosen arm:
the written-English source corpora for every arm built on the source model, the gold dialogues
for the trained arms, and the raw dialogues for self-training.
"""
from typing import Any, Dict, List, Optional, Sequence

from .meta import NON_COMMERCIAL, base_meta, corpus_source, encoder_entry, is_non_commercial, performance_from_metrics

DIALOGUE_GOLD = {"name": "MTS-Dialog dialogues annotated for clinner-spacy (DISORDER, DRUG, ANATOMY) "
                         "[dialogue-gold train]",
                 "url": "https://github.com/abachaa/MTS-Dialog",
                 "license": "CC BY 4.0 (text); annotations made for this project"}
RAW_DIALOGUES = [
    {"name": "MTS-Dialog (unlabelled, pseudo-labelled)", "url": "https://github.com/abachaa/MTS-Dialog",
     "license": "CC BY 4.0"},
    {"name": "ACI-Bench (unlabelled, pseudo-labelled)", "url": "https://github.com/wyim/aci-bench",
     "license": "CC BY 4.0"},
    {"name": "PriMock57 (unlabelled, pseudo-labelled)", "url": "https://github.com/babylonhealth/primock57",
     "license": "CC BY 4.0"},
]
# arms of dialogue/plan.py, by what they learned from
USES_SOURCE = ("zero_shot", "zero_shot_guard", "transfer_k", "self_training")
USES_GOLD = ("target_only", "transfer_k", "self_training")
DEV_CORPUS = "dialogue-gold dev (MTS-Dialog, gold DISORDER/DRUG/ANATOMY)"


def dialogue_sources(arm: str, source_corpora: Sequence[str]) -> List[Dict[str, str]]:
    """The training data of a dialogue arm, as meta.json "sources" entries.

    arm (str): the arm (dialogue/plan.py).
    source_corpora (Sequence[str]): corpora of the 3-label English source model.
    RETURNS (List[Dict[str, str]]): name, url and license of each.
    """
    sources = [corpus_source(c) for c in dict.fromkeys(source_corpora)] if arm in USES_SOURCE else []
    if arm in USES_GOLD:
        sources.append(dict(DIALOGUE_GOLD))
    if arm == "self_training":
        sources.extend(dict(s) for s in RAW_DIALOGUES)
    return sources


def build_dialogue_meta(
    *,
    name: str,
    lang: str,
    version: str,
    labels: Sequence[str],
    metrics: Dict[str, Any],
    run: Dict[str, Any],
    encoder: str,
    source_corpora: Sequence[str],
    components: Sequence[Dict[str, str]],
) -> Dict[str, Any]:
    """Assemble the meta.json entries of the dialogue pipeline.

    name (str): package name without the language prefix ("clinner_dialogue").
    lang (str): "en" (the package is <lang>_<name>).
    version (str): package version.
    labels (Sequence[str]): the entity labels the pipeline predicts.
    metrics (Dict[str, Any]): the chosen model's metrics on the gold dev set (evaluate-plan output).
    run (Dict[str, Any]): the chosen arm: arm, k, seed, config, model.
    encoder (str): encoder name ("e5-small", ...).
    source_corpora (Sequence[str]): corpora of the English source model.
    components (Sequence[Dict[str, str]]): the pipeline's components, {"name", "factory"} in order.
    RETURNS (Dict[str, Any]): the meta entries.
    """
    sources = dialogue_sources(run.get("arm", ""), source_corpora)
    non_commercial = is_non_commercial(sources)
    performance = performance_from_metrics(metrics)
    performance["dev_ents_f"] = performance["ents_f"]  # the choice metric: the same dev score
    macro = ((metrics.get("strict") or {}).get("macro") or {}).get("f")
    factories = ", ".join(c["factory"] for c in components)
    description = (
        f"Clinical NER ({', '.join(labels)}) for English doctor-patient dialogue, by transfer from written "
        f"clinical English (clinner-spacy, arm {run.get('arm')}, k={run.get('k')}). Components: {factories}. "
        "Reported scores are on the gold DEV set, which also chose the model among the arms, so they are "
        "optimistic (the dialogue test set is not public)."
        + (" Non-commercial use only (E3C, CC BY-NC)." if non_commercial else ""))
    return {
        **base_meta(name=name, lang=lang, version=version, description=description,
                    license=NON_COMMERCIAL if non_commercial else "CC BY 4.0", sources=sources, labels=labels,
                    performance=performance),
        "clinner": {
            "domain": "dialogue",
            "arm": run.get("arm"), "k": run.get("k"), "seed": run.get("seed"), "config": run.get("config"),
            "components": [dict(c) for c in components],
            "encoder": encoder_entry(encoder),
            "translator": None,
            "eval_split": "dev",
            "eval_corpus": DEV_CORPUS,
            "eval_docs": metrics.get("n_docs"),
            "ents_macro_f": macro,
            "scores": ("strict exact-span micro P/R/F1 on the gold dialogue DEV set; ents_f_ci95 = 95% bootstrap over "
                       "dialogues. The same dev set chose the model among the arms, so the scores are optimistic; "
                       "the dialogue test set is not public."),
        },
    }


def pipeline_components(config: Dict[str, Any]) -> List[Dict[str, str]]:
    """The components of a pipeline config in order: [{"name", "factory"}].

    config (Dict[str, Any]): the pipeline's config (spacy.util.load_config of its config.cfg).
    RETURNS (List[Dict[str, str]]): its components.
    """
    comps: Dict[str, Any] = config.get("components") or {}
    out = []
    for name in (config.get("nlp") or {}).get("pipeline") or []:
        block: Optional[Dict[str, Any]] = comps.get(name)
        out.append({"name": name, "factory": str((block or {}).get("factory") or (block or {}).get("source") or "?")})
    return out
