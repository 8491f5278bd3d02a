"""`clinner heads`: NER heads compared head to head on the same data, features and CPU (issue 11).

Each head is a config (the softmax and CRF heads of clinner_ner, spaCy's transition-based ner on
the same frozen features, spaCy's CPU default CNN ner). For every head, language and seed one
run trains on the whole E3C train split with E3C dev for model-best and early stopping, exactly
as the main plan's target_only arm at k = all: the same Run, signature and _train_run of
project/runner.py, through run_arm, so the same subset draw, dev curve summary and run.json.
Every model is then scored on E3C test by project/evaluate.py's score_model, and the measures
of project/heads_measures.py are added. All training comes first, then all scoring one model
at a time, so no timed pass shares the CPU with a training run.

Layout:
    <output_dir>/<head>/<lang>/s<seed>           (run.json, model-best)
    <metrics_dir>/<lang>/<head>_s<seed>.json     (score_model's dict + "run" + the extras)

Outputs are never replaced silently: a run folder or metrics file from other settings is
refused unless force (up-to-date ones are skipped, by the runner's signature).
"""
import re
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import srsly
from spacy.util import load_config

from ..util import get_meta
from .evaluate import _run_info, score_model
from .plan import ALL, Plan, Run
from .runner import run_arm, run_signature
from .signature import code_stamp, file_md5, read_run_info, signature

HEAD_RE = re.compile(r"^[a-z][a-z0-9_]*$")
BASE_HEAD = "softmax"  # the head every other one is compared with (paired gains)
# the modules whose change changes a heads metrics file (not in CODE_PARTS: see heads_measures.py)
HEADS_CODE = ("heads.py", "heads_measures.py")

ProgressFn = Callable[[str, str, int, int, float], None]  # (stage, name, index, total, elapsed)


def parse_heads(spec: str) -> Dict[str, str]:
    """Read "name=config name=config ..." (the --heads option) into {name: config}.

    spec (str): space- or comma-separated name=path pairs.
    RETURNS (Dict[str, str]): head name -> config path, in the order given.
    """
    heads: Dict[str, str] = {}
    for item in spec.replace(",", " ").split():
        name, sep, config = item.partition("=")
        if not sep or not name or not config:
            raise ValueError(f"--heads: {item!r} is not name=config")
        if not HEAD_RE.match(name):
            raise ValueError(f"--heads: head name {name!r} must be lowercase letters, digits and _")
        if name in heads:
            raise ValueError(f"--heads: head {name!r} is given twice")
        if not Path(config).is_file():
            raise FileNotFoundError(f"--heads: {name}={config}: no such config file")
        heads[name] = config
    if not heads:
        raise ValueError("--heads: no head given")
    return heads


def head_runs(heads: Dict[str, str], *, langs: Sequence[str], seeds: Sequence[int], corpus_dir: str,
              output_dir: str, max_steps: int, eval_frequency: int, patience: Optional[int]) -> List[Run]:
    """One Run per head, language and seed, shaped as the main plan's target_only run at k = all."""
    runs = []
    for head, config in heads.items():
        for lang in langs:
            for seed in seeds:
                out = f"{output_dir}/{head}/{lang}/s{seed}"
                runs.append(Run(head, lang, seed, config, f"{out}/train.spacy", f"{corpus_dir}/e3c-{lang}/dev.spacy",
                                out, max_steps, eval_frequency, k=ALL,
                                subset_of=f"{corpus_dir}/e3c-{lang}/train.spacy", patience=patience))
    return runs


def gold_path(run: Run, corpus_dir: str) -> str:
    return f"{corpus_dir}/e3c-{run.lang}/test.spacy"


def metrics_path(run: Run, metrics_dir: str) -> Path:
    return Path(metrics_dir) / run.lang / f"{run.arm}_s{run.seed}.json"


def metrics_signature(train_sig: str, gold: str, labels: Sequence[str], n_bootstrap: int) -> str:
    """Everything a heads metrics file depends on: the trained run, the gold file, the scoring
    settings, the scoring code (code_stamp) and this command's own modules."""
    here = Path(__file__).parent
    return signature(train=train_sig, gold=file_md5(gold), labels=sorted(labels), n_bootstrap=n_bootstrap,
                     code=code_stamp(), heads_code=[file_md5(here / name) for name in HEADS_CODE])


def check_inputs(heads: Dict[str, str], langs: Sequence[str], corpus_dir: str, encoder: str) -> None:
    """Fail before any training on a missing corpus file or a missing --encoder."""
    for lang in langs:
        for split in ("train", "dev", "test"):
            path = Path(corpus_dir) / f"e3c-{lang}" / f"{split}.spacy"
            if not path.is_file():
                raise FileNotFoundError(f"{path}: no E3C {split} split for {lang} (--corpus-dir {corpus_dir})")
    for head, config in heads.items():
        if "encoder" in load_config(config, interpolate=False).get("paths", {}) and not encoder:
            raise ValueError(f"--heads {head}={config}: the config reads [paths] encoder; give --encoder")


def stale_outputs(runs: Sequence[Run], sigs: Dict[str, str], eval_sigs: Dict[str, str],
                  metrics_dir: str) -> List[str]:
    """Outputs that exist but were made from other inputs (or are unfinished): what force replaces."""
    stale = []
    for run in runs:
        out = Path(run.output)
        done = read_run_info(out).get("signature") == sigs[run.name] and (out / "model-best").is_dir()
        path = metrics_path(run, metrics_dir)
        if out.exists() and not done:
            stale.append(f"{out} (trained with other settings, or unfinished; its metrics go with it)")
        elif path.is_file() and srsly.read_json(path).get("run", {}).get("signature") != eval_sigs[run.name]:
            stale.append(f"{path} (scored from another model or with other settings)")
    return stale


def score_run(run: Run, gold: str, *, labels: Sequence[str], n_bootstrap: int) -> Dict:
    """score_model's metrics of a run's model-best on gold, with the heads measures added."""
    import spacy
    from spacy.tokens import DocBin

    from ..evaluation.evaluate import predict
    from ..evaluation.spans import doc_spans
    from .heads_measures import belkadi_token_scores, count_params, words_per_second

    metrics = score_model(run.model, gold, labels=labels, n_bootstrap=n_bootstrap)
    nlp = spacy.load(run.model)
    gold_docs = list(DocBin().from_disk(gold).get_docs(nlp.vocab))
    # this prediction pass is also the speed measurement's warm-up pass
    preds = predict(nlp, gold_docs, batch_size=8, progress=False)
    pairs = [(g, doc_spans(p, g, labels=sorted(labels), doc_id=str(get_meta(g, "doc_id") or i)))
             for i, (g, p) in enumerate(zip(gold_docs, preds))]
    pairs = [(g, s) for g, s in pairs if s is not None]  # the documents score_model scored
    metrics["token_level_belkadi"] = belkadi_token_scores([g for g, _ in pairs], [s for _, s in pairs])
    metrics["speed"] = words_per_second(nlp, [doc.text for doc in gold_docs], warmup=False)
    metrics["params"] = count_params(nlp)
    strict = metrics["strict"]["micro"]["f"]
    lenient = metrics["lenient"]["micro"]["f"]
    metrics["lenient_micro_f"] = lenient
    metrics["strict_lenient_gap"] = None if strict is None or lenient is None else lenient - strict
    return metrics


def run_heads(
    *,
    heads: Dict[str, str],
    langs: Sequence[str],
    seeds: Sequence[int],
    corpus_dir: str,
    encoder: str,
    max_steps: int,
    eval_frequency: int,
    patience: Optional[int],
    output_dir: str,
    metrics_dir: str,
    labels: Sequence[str],
    n_bootstrap: int = 1000,
    jobs: int = 1,
    force: bool = False,
    keep_last: bool = False,
    progress: Optional[ProgressFn] = None,
    execute: Optional[Callable[..., int]] = None,
) -> List[Tuple[Run, str, Path]]:
    """Train (or skip) every run of the comparison, then score (or skip) every model.

    heads (Dict[str, str]): head name -> config (parse_heads).
    langs (Sequence[str]), seeds (Sequence[int]): the languages and seeds.
    corpus_dir (str): folder of e3c-<lang>/{train,dev,test}.spacy.
    encoder (str): the encoder passed as [paths] encoder to the configs that have it.
    max_steps, eval_frequency (int), patience (Optional[int]): as the main plan's (None: config's).
    output_dir (str), metrics_dir (str): where runs and metrics go (module docstring).
    labels (Sequence[str]): labels scored. n_bootstrap (int): resamples of the intervals.
    jobs (int): runs of a head trained side by side (runner.run_arm).
    force (bool): replace outputs made from other inputs instead of refusing.
    keep_last (bool): keep model-last beside model-best.
    progress (Optional[ProgressFn]): called with (stage, name, index, total, elapsed).
    execute (Optional[Callable[..., int]]): runs a `spacy train` command line (tests swap it).
    RETURNS (List[Tuple[Run, str, Path]]): per run: the run, scoring status, metrics file.
    """
    check_inputs(heads, langs, corpus_dir, encoder)
    runs = head_runs(heads, langs=langs, seeds=seeds, corpus_dir=corpus_dir, output_dir=output_dir,
                     max_steps=max_steps, eval_frequency=eval_frequency, patience=patience)
    settings = {"encoder": encoder, "overrides": []}
    sigs = {run.name: run_signature(run, settings) for run in runs}
    eval_sigs = {run.name: metrics_signature(sigs[run.name], gold_path(run, corpus_dir), labels, n_bootstrap)
                 for run in runs}
    stale = stale_outputs(runs, sigs, eval_sigs, metrics_dir)
    if stale and not force:
        raise FileExistsError("outputs made from other inputs exist; pass --force to replace them:\n  "
                              + "\n  ".join(stale))
    start, total = time.time(), len(runs)
    done = 0

    def show(status: str, run: Run, i: int, n: int, elapsed: float) -> None:
        if progress:
            progress(f"train:{status}", run.name, done + i, total, time.time() - start)

    for head in heads:
        plan = Plan(profile="heads", settings=settings, runs=[r for r in runs if r.arm == head])
        run_arm(plan, arm=head, keep_last=keep_last, progress=show, execute=execute, jobs=jobs)
        done += len(plan.runs)
    out, start = [], time.time()
    for i, run in enumerate(runs, 1):
        path, gold = metrics_path(run, metrics_dir), gold_path(run, corpus_dir)
        old = srsly.read_json(path) if path.is_file() else {}
        status = "skip" if old.get("run", {}).get("signature") == eval_sigs[run.name] else "score"
        if progress:
            progress(f"score:{status}", run.name, i, total, time.time() - start)
        if status == "score":
            metrics = score_run(run, gold, labels=labels, n_bootstrap=n_bootstrap)
            metrics["run"] = {"arm": run.arm, "lang": run.lang, "k": run.k, "seed": run.seed, "model": run.model,
                              "config": run.config, "experiment": "heads", "signature": eval_sigs[run.name],
                              "train_signature": sigs[run.name], **_run_info(run.model)}
            curve = metrics["run"].get("curve") or {}
            metrics["updates"] = {"best_step": curve.get("best_step"), "last_step": curve.get("last_step")}
            seconds = metrics["run"].get("seconds")
            metrics["train_minutes"] = None if seconds is None else seconds / 60
            path.parent.mkdir(parents=True, exist_ok=True)
            srsly.write_json(path, metrics)
        out.append((run, status, path))
    return out
