"""The model card (README.md) shipped inside a packaged clinner pipeline, written from its meta.json.

The sections every clinner card shares (header, usage, labels, training data, scores) are helpers
here, each returning its lines, so that dialogue_card.py renders them the same way.
"""
from typing import Any, Dict, List, Optional, Sequence


def pct(value: Optional[float]) -> str:
    """A score as a percentage with one decimal, "–" where it was not measured."""
    return "–" if value is None else f"{100 * value:.1f}"


def header_lines(meta: Dict[str, Any], *, commercial_note: str = "") -> List[str]:
    """Title, description and license, with the non-commercial warning where the data impose it.

    commercial_note (str): appended to the license line when the pipeline is not CC BY-NC.
    """
    non_commercial = meta.get("license", "").startswith("CC BY-NC")
    return [
        f"# {meta['lang']}_{meta['name']} {meta['version']}",
        "",
        meta.get("description", ""),
        "",
        f"**License: {meta.get('license')}.**" + (
            " The training data include E3C (CC BY-NC), so this pipeline is for non-commercial use only."
            if non_commercial else commercial_note),
        "Not a medical device: do not use its output for clinical decisions.",
    ]


def usage_lines(package: str, version: str, *, text: str = "...", attrs: Sequence[str] = ("text", "label_"),
                shell: Sequence[str] = ()) -> List[str]:
    """How to install the wheels and load the package, which runs offline.

    text (str): the example text, as it appears between the quotes of the Python snippet.
    attrs (Sequence[str]): the Span attributes the snippet prints for each entity.
    shell (Sequence[str]): further shell commands, after the install.
    """
    return [
        "## Use",
        "",
        "```bash",
        "pip install torch==2.13.0   # the CPU build first, where that is what you want",
        f"pip install clinner_spacy-*.whl {package}-{version}-py3-none-any.whl",
        *shell,
        "```",
        "",
        "```python",
        "import spacy",
        "",
        f'nlp = spacy.load("{package}")  # offline: the encoder weights are inside the package',
        f'doc = nlp("{text}")',
        "print([(" + ", ".join(f"ent.{attr}" for attr in attrs) + ") for ent in doc.ents])",
        "```",
    ]


def labels_lines(meta: Dict[str, Any]) -> List[str]:
    """The labels of every component that predicts entities."""
    labels: List[str] = [lb for comp in meta.get("labels", {}).values() for lb in comp]
    return ["## Labels", "", ", ".join(f"`{lb}`" for lb in labels) or "–"]


def encoder_line(encoder: Dict[str, str]) -> str:
    """The encoder and its license, with where its weights came from where known."""
    obtained = encoder.get("obtained", "")
    return f"- Encoder: {encoder.get('name', '?')} ({encoder.get('license', '?')}); {obtained}".rstrip("; ")


def sources_lines(meta: Dict[str, Any]) -> List[str]:
    """The training data with their licenses, which the pipeline's license follows."""
    return [
        "## Training data",
        "",
        "| corpus | license | url |",
        "|---|---|---|",
        *[f"| {s['name']} | {s['license']} | {s['url']} |" for s in meta.get("sources", [])],
    ]


def measured(*, command: str, date: str, machine: str) -> str:
    """Where, when and by what the scores were measured, as a clause for the evaluation sentence."""
    return (f", measured {date} on {machine}" if date else "") + (f" by `{command}`" if command else "")


def score_lines(perf: Dict[str, Any]) -> List[str]:
    """The per-label and micro strict scores, the micro F1 with its bootstrap interval."""
    ci = perf.get("ents_f_ci95") or [None, None]
    return [
        "| label | P | R | F1 |",
        "|---|---:|---:|---:|",
        *[f"| {lb} | {pct(v.get('p'))} | {pct(v.get('r'))} | {pct(v.get('f'))} |"
          for lb, v in sorted(perf.get("ents_per_type", {}).items())],
        f"| micro | {pct(perf.get('ents_p'))} | {pct(perf.get('ents_r'))} | {pct(perf.get('ents_f'))} "
        f"[95% CI {pct(ci[0])}, {pct(ci[1])}] |",
    ]


def model_card(meta: Dict[str, Any], *, command: str = "", date: str = "", machine: str = "") -> str:
    """Render the model card of a pipeline package.

    meta (Dict[str, Any]): the entries from packaging.meta.build_meta.
    command (str): the command that produced the scores.
    date (str): when the scores were measured.
    machine (str): where they were measured.
    RETURNS (str): the markdown text.
    """
    package, version = f"{meta['lang']}_{meta['name']}", meta["version"]
    info = meta.get("clinner", {})
    perf = meta.get("performance", {})
    tr = info.get("translator")
    lines = [
        *header_lines(meta),
        "",
        *usage_lines(package, version),
        "",
        "To add its NER to another pipeline, see docs/usage.md of clinner-spacy (`add_pipe(..., source=...)` "
        "with the transformer listener replaced).",
        "",
        *labels_lines(meta),
        "",
        "## How it was made",
        "",
        f"- Arm: `{info.get('arm')}`, k = {info.get('k')} target documents, seed {info.get('seed')}, "
        f"config `{info.get('config')}`; chosen among the trained runs by its dev score "
        f"(ents_f {pct(perf.get('dev_ents_f'))}), never on test.",
        encoder_line(info.get("encoder") or {}),
        f"- Translator of the translated training data: {tr.get('name', '?')} ({tr.get('license', 'license unknown')})" if tr else
        "- Translator: not used by this arm",
        "",
        *sources_lines(meta),
        "",
        "## Evaluation",
        "",
        f"Strict exact-span scores on {info.get('test_corpus')} ({info.get('test_docs')} documents, untouched "
        "by training and model choice)" + measured(command=command, date=date, machine=machine) + ".",
        "",
        *score_lines(perf),
        "",
        "## Limitations",
        "",
        "- Trained on few, public clinical case reports (E3C); other text types (notes, dialogue) will score lower.",
        "- Discontinuous and nested mentions were simplified during conversion (see the conversion report).",
        "- Tokenisation is that of the pipeline's config language, which may be the English source model's.",
        "",
    ]
    return "\n".join(lines)
