"""The model card (README.md) of the dialogue pipeline, written from its meta.json (dialogue_meta.py)."""
from typing import Any, Dict

from .model_card import encoder_line, header_lines, labels_lines, measured, pct, score_lines, sources_lines, usage_lines


def dialogue_model_card(meta: Dict[str, Any], *, command: str = "", date: str = "", machine: str = "") -> str:
    """Render the model card of the dialogue pipeline package.

    meta (Dict[str, Any]): the entries from packaging.dialogue_meta.build_dialogue_meta.
    command (str): the command that produced the scores.
    date (str): when the scores were measured.
    machine (str): where they were measured.
    RETURNS (str): the markdown text.
    """
    package, version = f"{meta['lang']}_{meta['name']}", meta["version"]
    info = meta.get("clinner", {})
    lines = [
        *header_lines(meta, commercial_note=" Attribute the training data below."),
        "",
        *usage_lines(package, version, text="Doctor: Any chest pain?\\nPatient: Yes, and I take aspirin for it.",
                     attrs=("text", "label_", "start_char", "end_char"),
                     shell=[f"clinner annotate-dialogue dialogues.txt --model {package} --output entities.jsonl "
                            "--html view.html"]),
        "",
        "Offsets index the text as given; speaker prefixes (`Doctor:`) are never part of an entity.",
        "",
        *labels_lines(meta),
        "",
        "## Pipeline",
        "",
        *[f"- `{c['name']}` ({c['factory']})" for c in info.get("components", [])],
        "",
        "## How it was made",
        "",
        f"- Arm: `{info.get('arm')}`, k = {info.get('k')} gold dialogues, seed {info.get('seed')}, "
        f"config `{info.get('config')}`; chosen among the dialogue arms by its strict micro F1 on the gold dev set.",
        encoder_line(info.get("encoder") or {}),
        "",
        *sources_lines(meta),
        "",
        "## Evaluation (dev set: optimistic)",
        "",
        f"Strict exact-span scores on the **dev** set, {info.get('eval_corpus')} ({info.get('eval_docs')} "
        "dialogues)" + measured(command=command, date=date, machine=machine) + ". The dialogue test set is not "
        "public, and the same dev set was used to choose this model among the arms, so these scores are "
        "optimistic: expect lower on new dialogues.",
        "",
        *score_lines(meta.get("performance", {})),
        f"| macro | | | {pct(info.get('ents_macro_f'))} |",
        "",
        "## Limitations",
        "",
        "- Few gold dialogues (75 train, 25 dev, MTS-Dialog): rare labels (DRUG) have wide intervals.",
        "- Procedures and tests are not annotated (guidelines); negated mentions are entities.",
        "- Written for transcribed English consultations with speaker prefixes; other formats score lower.",
        "",
    ]
    return "\n".join(lines)
