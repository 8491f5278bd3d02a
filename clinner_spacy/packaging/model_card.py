"""The model card (README.md) shipped inside a packaged clinner pipeline, written from its meta.json."""
from typing import Any, Dict, List, Optional


def _pct(value: Optional[float]) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def model_card(meta: Dict[str, Any], *, command: str = "", date: str = "", machine: str = "") -> str:
    """Render the model card of a pipeline package.

    meta (Dict[str, Any]): the entries from packaging.meta.build_meta.
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
    enc, tr = info.get("encoder") or {}, info.get("translator")
    ci = perf.get("ents_f_ci95") or [None, None]
    lines = [
        f"# {package} {version}",
        "",
        meta.get("description", ""),
        "",
        f"**License: {meta.get('license')}.**" + (
            " The training data include E3C (CC BY-NC), so this pipeline is for non-commercial use only."
            if meta.get("license", "").startswith("CC BY-NC") else ""),
        "Not a medical device: do not use its output for clinical decisions.",
        "",
        "## Use",
        "",
        "```bash",
        "pip install torch==2.13.0   # the CPU build first, where that is what you want",
        f"pip install clinner_spacy-*.whl {package}-{version}-py3-none-any.whl",
        "```",
        "",
        "```python",
        "import spacy",
        "",
        f'nlp = spacy.load("{package}")  # offline: the encoder weights are inside the package',
        'doc = nlp("...")',
        "print([(ent.text, ent.label_) for ent in doc.ents])",
        "```",
        "",
        "To add its NER to another pipeline, see docs/usage.md of clinner-spacy (`add_pipe(..., source=...)` "
        "with the transformer listener replaced).",
        "",
        "## Labels",
        "",
        ", ".join(f"`{lb}`" for lb in labels) or "–",
        "",
        "## How it was made",
        "",
        f"- Arm: `{info.get('arm')}`, k = {info.get('k')} target documents, seed {info.get('seed')}, "
        f"config `{info.get('config')}`; chosen among the trained runs by its dev score "
        f"(ents_f {_pct(perf.get('dev_ents_f'))}), never on test.",
        f"- Encoder: {enc.get('name', '?')} ({enc.get('license', '?')}); {enc.get('obtained', '')}".rstrip("; "),
        f"- Translator of the translated training data: {tr['name']} ({tr['license']})" if tr else
        "- Translator: not used by this arm",
        "",
        "## Training data",
        "",
        "| corpus | license | url |",
        "|---|---|---|",
        *[f"| {s['name']} | {s['license']} | {s['url']} |" for s in meta.get("sources", [])],
        "",
        "## Evaluation",
        "",
        f"Strict exact-span scores on {info.get('test_corpus')} ({info.get('test_docs')} documents, untouched "
        "by training and model choice)" + (f", measured {date} on {machine}" if date else "") +
        (f" by `{command}`" if command else "") + ".",
        "",
        "| label | P | R | F1 |",
        "|---|---:|---:|---:|",
        *[f"| {lb} | {_pct(v.get('p'))} | {_pct(v.get('r'))} | {_pct(v.get('f'))} |"
          for lb, v in sorted(perf.get("ents_per_type", {}).items())],
        f"| micro | {_pct(perf.get('ents_p'))} | {_pct(perf.get('ents_r'))} | {_pct(perf.get('ents_f'))} "
        f"[95% CI {_pct(ci[0])}, {_pct(ci[1])}] |",
        "",
        "## Limitations",
        "",
        "- Trained on few, public clinical case reports (E3C); other text types (notes, dialogue) will score lower.",
        "- Discontinuous and nested mentions were simplified during conversion (see the conversion report).",
        "- Tokenisation is that of the pipeline's config language, which may be the English source model's.",
        "",
    ]
    return "\n".join(lines)
