"""The model card (README.md) of the dialogue pipeline, written from its meta.json (dialogue_meta.py)."""
from typing import Any, Dict, List

from .model_card import _pct


def dialogue_model_card(meta: Dict[str, Any], *, command: str = "", date: str = "", machine: str = "") -> str:
    """Render the model card of the dialogue pipeline package.

    meta (Dict[str, Any]): the entries from packaging.dialogue_meta.build_dialogue_meta.
    command (str): the command that produced the scores.
    date (str): when the scores were measured.
    machine (str): where they were measured.
    RETURNS (str): the markdown text.
    """
    lang, name, version = meta["lang"], meta["name"], meta["version"]
    package = f"{lang}_{name}"
    info = meta.get("clinner", {})
    perf = meta.get("performance", {})
    labels: List[str] = [lb for comp in meta.get("labels", {}).values() for lb in comp]
    enc = info.get("encoder") or {}
    ci = perf.get("ents_f_ci95") or [None, None]
    non_commercial = meta.get("license", "").startswith("CC BY-NC")
    lines = [
        f"# {package} {version}",
        "",
        meta.get("description", ""),
        "",
        f"**License: {meta.get('license')}.**" + (
            " The training data include E3C (CC BY-NC), so this pipeline is for non-commercial use only."
            if non_commercial else " Attribute the training data below."),
        "Not a medical device: do not use its output for clinical decisions.",
        "",
        "## Use",
        "",
        "```bash",
        "pip install torch==2.13.0   # the CPU build first, where that is what you want",
        f"pip install clinner_spacy-*.whl {package}-{version}-py3-none-any.whl",
        "clinner annotate-dialogue dialogues.txt --model " + package + " --output entities.jsonl --html view.html",
        "```",
        "",
        "```python",
        "import spacy",
        "",
        f'nlp = spacy.load("{package}")  # offline: the encoder weights are inside the package',
        'doc = nlp("Doctor: Any chest pain?\\nPatient: Yes, and I take aspirin for it.")',
        "print([(ent.text, ent.label_, ent.start_char, ent.end_char) for ent in doc.ents])",
        "```",
        "",
        "Offsets index the text as given; speaker prefixes (`Doctor:`) are never part of an entity.",
        "",
        "## Labels",
        "",
        ", ".join(f"`{lb}`" for lb in labels) or "–",
        "",
        "## Pipeline",
        "",
        *[f"- `{c['name']}` ({c['factory']})" for c in info.get("components", [])],
        "",
        "## How it was made",
        "",
        f"- Arm: `{info.get('arm')}`, k = {info.get('k')} gold dialogues, seed {info.get('seed')}, "
        f"config `{info.get('config')}`; chosen among the dialogue arms by its strict micro F1 on the gold dev set.",
        f"- Encoder: {enc.get('name', '?')} ({enc.get('license', '?')}); {enc.get('obtained', '')}".rstrip("; "),
        "",
        "## Training data",
        "",
        "| corpus | license | url |",
        "|---|---|---|",
        *[f"| {s['name']} | {s['license']} | {s['url']} |" for s in meta.get("sources", [])],
        "",
        "## Evaluation (dev set: optimistic)",
        "",
        f"Strict exact-span scores on the **dev** set, {info.get('eval_corpus')} ({info.get('eval_docs')} "
        "dialogues)" + (f", measured {date} on {machine}" if date else "") +
        (f" by `{command}`" if command else "") + ". The dialogue test set is not public, and the same dev "
        "set was used to choose this model among the arms, so these scores are optimistic: expect lower on "
        "new dialogues.",
        "",
        "| label | P | R | F1 |",
        "|---|---:|---:|---:|",
        *[f"| {lb} | {_pct(v.get('p'))} | {_pct(v.get('r'))} | {_pct(v.get('f'))} |"
          for lb, v in sorted(perf.get("ents_per_type", {}).items())],
        f"| micro | {_pct(perf.get('ents_p'))} | {_pct(perf.get('ents_r'))} | {_pct(perf.get('ents_f'))} "
        f"[95% CI {_pct(ci[0])}, {_pct(ci[1])}] |",
        f"| macro | | | {_pct(info.get('ents_macro_f'))} |",
        "",
        "## Limitations",
        "",
        "- Few gold dialogues (75 train, 25 dev, MTS-Dialog): rare labels (DRUG) have wide intervals.",
        "- Procedures and tests are not annotated (guidelines); negated mentions are entities.",
        "- Written for transcribed English consultations with speaker prefixes; other formats score lower.",
        "",
    ]
    return "\n".join(lines)
