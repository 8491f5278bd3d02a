"""The markdown page of `clinner heads`: one row per language and head, and the paired gains over
the softmax head.

Built from the metrics files alone (project/heads.py writes them), so the page can be rebuilt
without scoring again. Seeds are averaged; the strict micro F1 interval over several seeds is
the pooled bootstrap of reporting/collect.py aggregate, the gains its paired_gain (the same
document draws for both heads), as on the results page.
"""
import datetime
import os
import platform
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

import numpy
import srsly

from ..reporting.collect import aggregate, paired_gain, read_record
from ..reporting.tables import pct, with_ci

# the first line of every page written here: a file without it is not replaced without force
MARKER = "<!-- written by `clinner heads` from its metrics files; rebuilt on every run -->"

NOTE = """Strict: exact span and label, micro / macro / weighted over labels; interval: 95% bootstrap
over test documents. Lenient: a prediction overlapping a gold span of its label counts; gap =
lenient - strict micro F1, what boundary errors cost. Belkadi token F1 (macro / weighted):
Belkadi et al. 2023's token-level measure, every token one sample with its BIO tag as class
(B- and I- separate, O included), scikit-learn-style per-class F1 averaged over the classes; on
spaCy tokens of the gold test documents here (their code: sub-word tokens). It does not compare
with span F1: O is most tokens, and an entity with a wrong boundary is still mostly right tokens
(docs/crf.md, "Comparing heads"). words/s: nlp.pipe on the test texts, batch 8, median of 3
timed passes after a warm-up pass, every feature cache cleared before each pass (the encoder is
timed); words are spaCy tokens that are not whitespace. Trainable params: thinc params and
trainable torch weights (the BiLSTM) of the components, the frozen encoder left out; encoder
params: its torch module as loaded (only the layers up to the highest one read are loaded).
Updates: best / last training step (dev curve). Train min: wall minutes of the training run."""


def _mean(values: Sequence[Optional[float]]) -> Optional[float]:
    values = [v for v in values if v is not None]
    return float(numpy.mean(values)) if values else None


def _count(n: Optional[float]) -> str:
    return "–" if n is None else f"{int(round(n)):,}"


def _get(data: Dict, *keys: str) -> Optional[float]:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def heads_page(metrics_dir: Union[str, Path], *, heads: Sequence[str], langs: Sequence[str],
               seeds: Sequence[int], command: str, n_bootstrap: int = 1000, base: str = "softmax") -> str:
    """The markdown page: header line, the table, its note, and the gains over base.

    metrics_dir (Union[str, Path]): <metrics_dir>/<lang>/<head>_s<seed>.json.
    heads, langs, seeds: what to show (files of other heads or seeds are left out).
    command (str): the command line that produced the metrics, for the header.
    n_bootstrap (int): resamples of the pooled and paired intervals.
    base (str): the head the gains are over.
    RETURNS (str): the page.
    """
    metrics_dir = Path(metrics_dir)
    records, data = {}, {}
    for lang in langs:
        for head in heads:
            paths = [metrics_dir / lang / f"{head}_s{seed}.json" for seed in seeds]
            missing = [str(p) for p in paths if not p.is_file()]
            if missing:
                raise FileNotFoundError(f"no metrics for {head} {lang}: {', '.join(missing)}")
            records[lang, head] = [read_record(p, lang) for p in paths]
            data[lang, head] = [srsly.read_json(p) for p in paths]
    threads = sorted({_get(d, "speed", "torch_threads") for ds in data.values() for d in ds} - {None})
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    lines = [
        MARKER, "", "# NER heads, head to head (issue 11)", "",
        f"{when} on {platform.platform()} ({os.cpu_count()} CPUs, torch threads "
        f"{', '.join(map(str, threads)) or '?'}); produced by `{command}`", "",
        f"E3C layer 1, trained on the whole train split (model-best on dev), scored on test; seeds "
        f"{', '.join(map(str, seeds))} (means over seeds). Scores in %.", "",
        "| lang | head | strict micro F1 [95% CI] | macro | weighted | lenient | gap | Belkadi token F1 (macro / weighted) "
        "| words/s | trainable params | encoder params | updates (best / last) | train min |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for lang in langs:
        for head in heads:
            ds, cell = data[lang, head], aggregate(records[lang, head], n_resamples=n_bootstrap)
            m = {key: _mean([_get(d, *path) for d in ds]) for key, path in {
                "macro": ("strict", "macro", "f"), "weighted": ("strict", "weighted", "f"),
                "lenient": ("lenient_micro_f",), "gap": ("strict_lenient_gap",),
                "tok_macro": ("token_level_belkadi", "macro", "f"),
                "tok_weighted": ("token_level_belkadi", "weighted", "f"), "wps": ("speed", "words_per_s"),
                "trainable": ("params", "trainable"), "encoder": ("params", "encoder"),
                "best": ("updates", "best_step"), "last": ("updates", "last_step"), "minutes": ("train_minutes",),
            }.items()}
            gap = "–" if m["gap"] is None else f"{100 * m['gap']:+.1f}"
            wps = "–" if m["wps"] is None else f"{m['wps']:,.0f}"
            minutes = "–" if m["minutes"] is None else f"{m['minutes']:.1f}"
            lines.append(
                f"| {lang} | {head} | {with_ci(cell.f, cell.low, cell.high)} | {pct(m['macro'])} | {pct(m['weighted'])} "
                f"| {pct(m['lenient'])} | {gap} | {pct(m['tok_macro'])} / {pct(m['tok_weighted'])} | {wps} "
                f"| {_count(m['trainable'])} | {_count(m['encoder'])} | {_count(m['best'])} / {_count(m['last'])} "
                f"| {minutes} |")
    lines += ["", NOTE, ""]
    lines += _gains(records, heads, langs, base, n_bootstrap)
    return "\n".join(lines).rstrip() + "\n"


def _gains(records: Dict, heads: Sequence[str], langs: Sequence[str], base: str, n_bootstrap: int) -> List[str]:
    others = [h for h in heads if h != base]
    if base not in heads or not others:
        return [f"(No gains: the heads do not include {base!r} and another head.)"]
    lines = [f"## Gain over {base} (strict micro F1, paired bootstrap over test documents)", "",
             "| lang | head | gain [95% CI] |", "|---|---|---|"]
    for lang in langs:
        for head in others:
            gain = paired_gain(records[lang, head], records[lang, base], n_resamples=n_bootstrap)
            lines.append(f"| {lang} | {head} | {with_ci(*gain, signed=True)} |")
    return lines


def check_page(path: Union[str, Path], *, force: bool = False) -> None:
    """Refuse a page path holding a file this command did not write (checked before training)."""
    path = Path(path)
    if path.is_file() and not force:
        first = path.read_text(encoding="utf8").split("\n", 1)[0]
        if first.strip() != MARKER:
            raise FileExistsError(f"{path}: exists and was not written by `clinner heads`; pass --force "
                                  "to replace it, or choose another --markdown")


def write_page(path: Union[str, Path], text: str, *, force: bool = False) -> None:
    """Write the page; a file that this command did not write is replaced only with force."""
    check_page(path, force=force)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf8")
