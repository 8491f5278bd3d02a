"""One call from a plan to a staged pipeline: choose on dev, gather test scores, write meta and model card."""
import datetime
from pathlib import Path
from typing import Dict, Optional, Sequence, Union

import srsly

from ..project.plan import TARGET_ONLY, Plan
from .meta import build_meta
from .model_card import model_card
from .select import select_model, stage_model


def package_stage(
    *,
    plan: Plan,
    lang: str,
    name: str,
    version: str,
    encoder: str,
    translator: str,
    source_corpora: Sequence[str],
    output_dir: Union[str, Path],
    command: str = "",
    date: Optional[str] = None,
    machine: Optional[str] = None,
) -> Dict[str, object]:
    """Stage the best dev model of a language with its meta.json and model card.

    plan (Plan): the experiment plan (runs and the metrics file of each).
    lang (str): the target language.
    name, version (str): package name (without language prefix) and version.
    encoder, translator (str): what the model was made with.
    source_corpora (Sequence[str]): corpora of the English source model (transferred arms).
    output_dir (Union[str, Path]): staging folder: model/ and meta.json.
    command, date, machine (str): provenance of the scores, for the model card.
    RETURNS (Dict[str, object]): the chosen run, its dev and test scores, and the staged paths.
    """
    from ..reporting.results import machine_description

    chosen = select_model(plan, lang)
    run = chosen.run
    evals = [e for e in plan.evaluations if e.model == run.model and e.lang == lang]
    if not evals or not Path(evals[0].output).is_file():
        raise FileNotFoundError(f"no test metrics for {run.name} (run the evaluate-arms command first)")
    metrics = srsly.read_json(evals[0].output)
    model_meta = srsly.read_json(Path(run.model) / "meta.json")
    # what the pipeline predicts (its component labels), else what was scored
    labels = sorted({lb for comp in (model_meta.get("labels") or {}).values() for lb in comp}
                    or set(metrics.get("labels") or []))
    target = f"e3c-{lang}"
    corpora = [target] if run.arm == TARGET_ONLY else [*source_corpora, target]
    meta = build_meta(name=name, lang=lang, version=version, labels=labels, metrics=metrics, run=run.__dict__,
                      dev_score=chosen.dev_score, encoder=encoder,
                      translator=None if run.arm == TARGET_ONLY else translator,
                      train_corpora=corpora, test_corpus=f"{target} test (E3C layer 1)")
    card = model_card(meta, command=command, date=date or datetime.date.today().isoformat(),
                      machine=machine or machine_description())
    staged = stage_model(run.model, output_dir, card, meta)
    return {"run": run.name, "dev": chosen.dev_score, "test": meta["performance"]["ents_f"],
            "model": str(staged), "meta": str(Path(output_dir) / "meta.json")}
