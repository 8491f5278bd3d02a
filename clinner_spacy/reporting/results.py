"""docs/results.md: the transfer table and everything needed to read it, generated from metrics files."""
import datetime
import os
import platform
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

import srsly

from .collect import read_metrics_dir
from .plot import plot_learning_curve
from .tables import (arm_table, cost_table, domain_table, ladtl_table, main_table, no_target_table, per_label_table, pct,
                     projection_table, sweep_table, transfer_table)

PAPER = ("The paper reports, on private data, target-only -> transferred F1 of 84.2 -> 94.7 (Spanish), "
         "87.3 -> 92.8 (French) and 82.1 -> 86.4 (dialogue).")

DIFFERENCES = """\
- **Data.** Public corpora: E3C layer 1 (clinical case reports; es and fr train 36 documents each
  before a dev split is carved out, test 45 each), labels DISORDER (E3C CLINENTITY) and ANATOMY
  (BODYPART); the source model is trained on {source_data}. The paper's numbers are on private
  data, so they are not comparable to these.
- **Translation.** {translation}
- **Encoder.** {encoder} (multilingual-e5-small: 12 layers x 384, XLM-R vocabulary) instead of a
  large BERT: small enough for a 2-core CPU, and multilingual, which zero-shot needs.
- **Budget.** Profile `{profile}`: {budget}.
- **Compute.** {compute}
- Hyperparameters are those of the arm configs (`{configs}`) except the profile's overrides named
  under Budget; model-best is chosen on dev splits carved from train, never on test. Whatever the
  numbers say is the result: a transfer that does not help is one.
"""

COMPUTE_FIXED = (
    "Every run trains max_steps from its starting point, so the transferred arm has seen twice and "
    "transferred + k three times the updates of target-only; while runs are short that alone favours "
    "transfer. Compare with a target-only run of matched steps (`spacy project run control`, "
    "docs/results-control.md) before reading a gain as the method's."
)
COMPUTE_PLATEAU = (
    "Every run trains until its dev F1 has not improved for {patience} steps (early stopping, a dev "
    "evaluation every {freq} steps), so each arm ends on its own plateau rather than on a step count; "
    "the cost table states each run's updates and CPU minutes, and transferred + k's minutes come on "
    "top of the source and transferred runs it starts from. In configs/features the encoder is frozen "
    "in every arm, so every arm trains the same parameters (the head)."
)

DOMAINS = ("dialogue",)  # targets that are a modality, not a language: scored apart

DIALOGUE = """\
The third target is a modality, not a language: doctor-patient dialogue (MTS-Dialog dialogues
annotated for this project with DISORDER, DRUG and ANATOMY). The source model here is a
three-label English model trained on written text ({sources}; each corpus annotates a subset of
the labels, which the partial-label loss handles), so "transferred" is that model fine-tuned on
gold dialogues with the method's dialogue setting (configs/dialogue_transfer.cfg), with no
translation step: transferred and transferred + k(all) are the same run.

**Scored on the gold dev set (25 dialogues), not on a test set**: the dialogue test set is not
public. The same dev set chose each run's model-best and the self-training threshold, so every
dialogue number below is optimistic, for all arms alike; read differences between arms, not levels.
Labels {labels}; strict exact-span F1 (%), 95% bootstrap intervals over dialogues; gains are paired
bootstraps over the same dialogues.

An arm that fine-tunes the source model can end up as its starting point: spaCy scores dev after
the first update, and when no later checkpoint beats that score, model-best is that checkpoint.
A row identical to the zero-shot one means exactly this: on dev, that training did not help.
"""

TRANSLATION = {
    "apertium": "Apertium here (rule-based, offline; fr -> en pivots through Spanish); the paper used "
                "NLLB, a neural system whose translations are closer to natural English.",
    "nllb": "NLLB through CTranslate2 (int8), as in the paper (facebook/nllb-200-distilled-600M unless stated).",
}


def machine_description() -> str:
    """"<n>-core CPU, <m> GiB, no GPU" (or the GPU's name), for the provenance line."""
    cores = os.cpu_count() or 0
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30
        mem_text = f"{mem:.0f} GiB"
    except (ValueError, OSError, AttributeError):
        mem_text = "? GiB"
    gpu = "no GPU"
    try:
        import torch

        if torch.cuda.is_available():
            gpu = torch.cuda.get_device_name(0)
    except ImportError:
        pass
    return f"{cores}-core CPU, {mem_text}, {gpu} ({platform.system()} {platform.machine()})"


def write_results(
    *,
    metrics_dir: Union[str, Path],
    output: Union[str, Path],
    plot: Union[str, Path],
    projection_reports: Sequence[Union[str, Path]] = (),
    profile: str = "",
    translator: str = "apertium",
    encoder: str = "e5-small",
    command: str = "",
    date: Optional[str] = None,
    machine: Optional[str] = None,
    langs: Optional[Sequence[str]] = None,
    plan: Optional[Union[str, Path]] = None,
    dialogue_labels: Sequence[str] = ("DISORDER", "DRUG", "ANATOMY"),
    dialogue_sources: str = "E3C-en and NeuroTrialNER",
    dialogue_threshold: Optional[Union[str, Path]] = None,
    dev_curves: Optional[Union[str, Path]] = None,
    source_corpora: str = "",
) -> Dict[str, object]:
    """Generate the results page and the learning-curve PNG.

    metrics_dir (Union[str, Path]): metrics/<profile> (<lang>/<arm>[_k<k>]_s<seed>.json inside).
    output (Union[str, Path]): the markdown file.
    plot (Union[str, Path]): the PNG file (linked from the markdown by a relative path).
    projection_reports (Sequence[Union[str, Path]]): projection report JSONs of the translated data.
    profile, translator, encoder, command (str): stated on the page.
    date, machine (Optional[str]): provenance; default today and this machine.
    langs (Optional[Sequence[str]]): targets in table order (default: those found, en excluded).
    plan (Optional[Union[str, Path]]): the profile's plan JSON; its steps and config overrides
        are stated under Budget, because they change what the numbers mean.
    dialogue_labels (Sequence[str]): labels of the dialogue table.
    dialogue_sources (str): the written-text corpora of the dialogue source model, in words.
    dialogue_threshold (Optional[Union[str, Path]]): the dialogue-threshold JSON (the sweep that
        chose the self-training threshold on dev), shown under the dialogue table.
    source_corpora (str): the source model's training corpora, in words (default: E3C-en layer 1).
    dev_curves (Optional[Union[str, Path]]): a PNG of the runs' dev curves (reporting/dev_curves.py).
    RETURNS (Dict[str, object]): what was written and how many records were read.
    """
    records = read_metrics_dir(metrics_dir)
    if not records:
        raise ValueError(f"{metrics_dir}: no metrics files")
    found = sorted({r.lang for r in records})
    # languages first, then other targets (the dialogue workflow writes metrics/<profile>/dialogue)
    targets = list(langs) if langs else sorted((lg for lg in found if lg != "en"), key=lambda t: (len(t) > 3, t))
    domains = [t for t in targets if t in DOMAINS]
    targets = [t for t in targets if t not in DOMAINS]  # the E3C languages
    reports = [srsly.read_json(p) for p in projection_reports]
    output, plot = Path(output), Path(plot)
    titles = {**{lang: f"{lang}: E3C layer 1 test" for lang in targets},
              **{dom: f"{dom}: gold dev (test not public)" for dom in domains}}
    plot_learning_curve(records, targets + domains, plot, title=f"strict micro F1, profile {profile}",
                        panel_titles=titles)
    seeds = sorted({r.seed for r in records})
    ks = sorted({r.k for r in records if r.k}, key=lambda k: (k == "all", int(k) if k.isdigit() else 0))
    budget = f"seeds {', '.join(map(str, seeds))}; k in {', '.join(ks) or '–'}"
    source_data, configs_dir, compute = source_corpora or "E3C-en layer 1", "configs", COMPUTE_FIXED
    if plan is not None:
        settings = srsly.read_json(plan).get("settings", {})
        configs_dir = settings.get("configs_dir") or configs_dir
        if settings.get("patience"):
            compute = COMPUTE_PLATEAU.format(patience=settings["patience"], freq=settings.get("eval_frequency"))
        overrides = " ".join(settings.get("overrides") or [])
        patience = settings.get("patience")
        budget += (f"; early stopping after {patience} steps without a better dev F1, at most "
                   f"{settings.get('max_steps', '?')} steps a run" if patience
                   else f"; {settings.get('max_steps', '?')} training steps a run")
        budget += f"; config overrides `{overrides}`" if overrides else "; no config overrides"
    date = date or datetime.date.today().isoformat()
    machine = machine or machine_description()
    lines: List[str] = [
        "# Results: clinical NER transfer from English to Spanish and French (E3C)"
        + (" and to dialogue" if "dialogue" in domains else ""),
        "",
        f"Generated by `clinner results` from `{metrics_dir}` ({len(records)} metrics files) on {date}, "
        f"machine: {machine}. Produced by: `{command or 'spacy project run all'}`.",
        "",
        "Strict exact-span micro F1 (%) over DISORDER and ANATOMY on the untouched E3C layer 1 test sets, "
        "with 95% bootstrap intervals over test documents in brackets; gains are paired bootstraps "
        "(same document draws for both arms). With several seeds, F1 is the mean over seeds.",
        "",
        "## How this differs from the paper",
        "",
        PAPER,
        "",
        DIFFERENCES.format(translation=TRANSLATION.get(translator, f"{translator} here; the paper used NLLB."),
                           encoder=encoder, profile=profile or "?", budget=budget,
                           source_data=source_data, configs=configs_dir, compute=compute),
        "## Main table: transfer against what a user would otherwise train",
        "",
        "On the same k target documents: spaCy's CPU default (`spacy init config -p ner -o efficiency`, "
        "trained to its dev plateau), target-only(k) and transferred + k; gains of transferred + k "
        "are paired bootstraps.",
        "",
        main_table(records, targets),
        "",
        "What each model cost and where it stopped (training to the dev plateau: see the dev curves below):",
        "",
        cost_table(records),
        "",
        "## Transfer table",
        "",
        "Target-only(k): trained on k target documents alone. Transferred + k: the English source model, "
        "fine-tuned on the translated target training documents, then on the same k target documents.",
        "",
        transfer_table(records, targets),
        "",
        "Without target-language annotation at training time:",
        "",
        no_target_table(records, targets),
        "",
        f"![learning curve]({os.path.relpath(plot, output.parent)})",
        "",
    ]
    ladtl = ladtl_table(records, targets)
    if ladtl:
        lines += ["## La-DTL: label-aware MMD (docs/mmd.md)", "",
                  "The source model trained on the translated and the k target documents together (the k "
                  "documents upsampled to the translated set's size), without (control) and with the "
                  "label-aware MMD term (weight 0.02, on the BiLSTM output); paired gains.", "", ladtl, ""]
    if dev_curves and Path(dev_curves).is_file():
        lines += ["Dev curves of every run (dev F1 against steps; the dot is the checkpoint kept):", "",
                  f"![dev curves]({os.path.relpath(dev_curves, output.parent)})", ""]
    src = [r for r in records if r.lang == "en" and r.arm == "source"]
    if src:
        mean = sum(r.f or 0 for r in src) / len(src)
        lines += ["## Source model (reference)", "",
                  f"The English source model on E3C-en layer 1 test: strict micro F1 {pct(mean)} "
                  f"({len(src)} seed(s)); see the full listing below.", ""]
    for dom in domains:
        lines += ["## Dialogue", "", DIALOGUE.format(sources=dialogue_sources, labels=", ".join(dialogue_labels)),
                  domain_table(records, dom, dialogue_labels), ""]
        if dialogue_threshold and Path(dialogue_threshold).is_file():
            lines += ["Self-training threshold, chosen on dev (`clinner dialogue-threshold`): the transferred model "
                      "annotates the dev dialogues and each candidate threshold is scored by the strict F1 of the "
                      "turns it would keep.", ""]
            for seed, res in srsly.read_json(dialogue_threshold)["seeds"].items():
                lines += [f"Seed {seed}: {res['rule']}.", "", sweep_table(res), ""]
    lines += ["## Every arm", "", arm_table(records), ""]
    lines += ["## Per-label scores", ""]
    for lang in targets + domains + (["en"] if "en" in found else []):
        lines += [f"### {lang}", "", per_label_table(records, lang), ""]
    if reports:
        lines += ["## Projection statistics of the translated training data", "",
                  "Gold entities carried onto the English translations (placed by markers, or by the "
                  "fallbacks; lost ones are listed in the reports).", "", projection_table(reports), "",
                  "Reports: " + ", ".join(f"`{p}`" for p in projection_reports), ""]
    installed = sorted((Path(metrics_dir) / "installed").glob("*.json"))
    if installed:
        lines += ["## Installed packages", "",
                  "Scores of the pipeline packages installed from their wheels in a fresh virtual environment "
                  "(`clinner evaluate-package`), against the scores of the model directory they were built from.", "",
                  "| package | model packaged | scored on | F1 installed [95% CI] | F1 of the model directory |",
                  "|---|---|---|---|---|"]
        for path in installed:
            data = srsly.read_json(path)
            micro, boot = (data.get("strict") or {}).get("micro") or {}, data.get("bootstrap") or {}
            ref = data.get("reference_f")
            lines.append(f"| {data.get('package', path.stem)} | {data.get('source_model', '?')} | "
                         f"{Path(str(data.get('gold', '?'))).parent.name} {Path(str(data.get('gold', '?'))).stem} | "
                         f"{pct(micro.get('f'))} [{pct(boot.get('low'))}, {pct(boot.get('high'))}] | {pct(ref)} |")
        lines.append("")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text("\n".join(lines), encoding="utf8")
    return {"output": str(output), "plot": str(plot), "records": len(records), "targets": targets + domains}
