"""Run the training runs of one arm and language from the plan, skipping those already done.

Each run is a `python -m spacy train` subprocess (a fresh process per run: no memory carried
from one model to the next, and spaCy's own progress table on the terminal). Before training,
k-document runs draw their nested subset (corpora/sampling.py, seeded by the run's seed).
After training, model-last is removed unless asked to keep it: the model-best chosen on dev is
what every later step uses, and each copy of an e5-small pipeline weighs about 0.5 GB.
"""
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Dict, List, Optional

import srsly
from spacy.util import load_config

from ..util import logger
from .curve import read_curve, summarize_curve
from .plan import Plan, Run
from .signature import RUN_INFO, code_stamp, dir_stamp, file_md5, read_run_info, signature

# the thread counts of torch, OpenMP and the BLAS libraries, set to 1 for parallel runs
THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")

ProgressFn = Callable[[str, Run, int, int, float], None]


def run_signature(run: Run, settings: Dict[str, object]) -> str:
    """Signature of everything a run's result depends on, the code that trains it included.

    run (Run): the run.
    settings (Dict[str, object]): plan settings (encoder, ...).
    RETURNS (str): the signature.
    """
    data = run.subset_of if run.subset_of else run.train
    extra = {}
    if run.target_train or run.overrides:  # keys absent otherwise: older signatures stay valid
        extra = {"mixed_with": file_md5(run.train), "run_overrides": list(run.overrides)}
    return signature(**extra,
        arm=run.arm, lang=run.lang, seed=run.seed, k=run.k, max_steps=run.max_steps, patience=run.patience,
        eval_frequency=run.eval_frequency, config=file_md5(run.config), train=file_md5(data),
        dev=file_md5(run.dev), source_model=dir_stamp(run.source_model) if run.source_model else None,
        encoder=dir_stamp(str(settings.get("encoder"))) if settings.get("encoder") else None,
        overrides=settings.get("overrides") or [], code=code_stamp(),
    )


def train_command(run: Run, settings: Dict[str, object]) -> List[str]:
    """The `spacy train` command line of a run; only [paths] the config declares are set."""
    config = load_config(run.config, interpolate=False)
    paths = config.get("paths", {})
    values = {"train": run.train, "dev": run.dev, "encoder": settings.get("encoder"),
              "source_model": run.source_model, "log": run.log, "target_train": run.target_train}
    cmd = [sys.executable, "-m", "spacy", "train", run.config, "--output", run.output]
    for key, value in values.items():
        if key in paths and value:
            cmd += [f"--paths.{key}", str(value)]
    missing = [key for key in ("train", "dev") if key not in paths]
    if missing:
        raise ValueError(f"{run.config}: [paths] lacks {missing}; the project sets them for every run")
    if run.target_train and "target_train" not in paths:
        raise ValueError(f"{run.config}: run {run.name} reads k target documents, but [paths] lacks target_train")
    if run.source_model and "source_model" not in paths:
        raise ValueError(f"{run.config}: run {run.name} starts from a source model, but [paths] lacks source_model")
    cmd += ["--training.max_steps", str(run.max_steps), "--training.eval_frequency", str(run.eval_frequency),
            "--system.seed", str(run.seed)]
    if run.patience is not None:
        cmd += ["--training.patience", str(run.patience)]
    # the configs warm up over 10% of training (configs/*.cfg): keep that share for any max_steps
    schedule = config.get("training", {}).get("optimizer", {}).get("learn_rate", {})
    if isinstance(schedule, dict) and "warmup_steps" in schedule:
        cmd += ["--training.optimizer.learn_rate.warmup_steps", str(max(1, round(0.1 * run.max_steps)))]
    # profile-wide config overrides (project var overrides_<profile>), each given to the configs
    # that have its key: freezing is set in [components.transformer.model] by source.cfg and
    # target_only.cfg, but in [initialize.before_init] by transfer.cfg
    extra = list(settings.get("overrides") or [])
    for key, value in zip(extra[::2], extra[1::2]):
        if _has_key(config, key[2:]):
            cmd += [key, str(value)]
    # the run's own overrides (e.g. the La-DTL control's MMD weight 0) must exist in its config
    own = list(run.overrides)
    for key, value in zip(own[::2], own[1::2]):
        if not _has_key(config, key[2:]):
            raise ValueError(f"{run.config}: run {run.name} overrides {key[2:]}, which the config lacks")
        cmd += [key, str(value)]
    return cmd


def _has_key(config: dict, dotted: str) -> bool:
    node = config
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def oversize_docs(run: Run, cmd: List[str]) -> List[str]:
    """Training docs that spaCy's batcher will discard: longer than the batch size (in tokens)
    when the config says discard_oversize. spaCy drops them without a word; the runner reports
    them, so a changed batch size can never silently shrink the training data.

    RETURNS (List[str]): doc ids (or positions) of the docs that will be discarded.
    """
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    from ..util import get_meta

    batcher = load_config(run.config, interpolate=False).get("training", {}).get("batcher", {})
    if not isinstance(batcher, dict) or not batcher.get("discard_oversize"):
        return []
    size = cmd[cmd.index("--training.batcher.size") + 1] if "--training.batcher.size" in cmd else batcher.get("size")
    try:
        limit = int(size)
    except (TypeError, ValueError):  # a schedule rather than a number: nothing to check against
        return []
    docs = DocBin(store_user_data=True).from_disk(run.train).get_docs(Vocab())
    return [str(get_meta(doc, "doc_id") or i) for i, doc in enumerate(docs) if len(doc) > limit]


def make_subset(run: Run) -> int:
    """Write the run's k-document training subset: the same nested draw as `clinner sample`.

    RETURNS (int): the number of documents written.
    """
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    from ..corpora.sampling import nested_subsets

    docs = list(DocBin(store_user_data=True).from_disk(run.subset_of).get_docs(Vocab()))
    subset = nested_subsets(docs, [run.k], seed=run.seed)[str(run.k)]
    out = DocBin(store_user_data=True, docs=subset)
    path = Path(run.target_train or run.train)
    path.parent.mkdir(parents=True, exist_ok=True)
    out.to_disk(path)
    return len(subset)


def run_arm(
    plan: Plan,
    *,
    arm: str,
    lang: Optional[str] = None,
    keep_last: bool = False,
    dry: bool = False,
    progress: Optional[ProgressFn] = None,
    execute: Callable[[List[str]], int] = None,
    jobs: int = 1,
) -> List[Dict[str, object]]:
    """Train every run of an arm (and language) in the plan, skipping runs already up to date.

    plan (Plan): the experiment plan.
    arm (str): the arm (plan.SOURCE, TARGET_ONLY, TRANSFER, TRANSFER_K).
    lang (Optional[str]): restrict to one language.
    keep_last (bool): keep model-last beside model-best.
    dry (bool): report what would run, train nothing.
    progress (Optional[ProgressFn]): called with (status, run, index, total, seconds elapsed).
    execute (Callable[[List[str]], int]): runs a command line and returns its exit code (tests swap it).
    jobs (int): runs trained at once, each in its own process with one torch/BLAS thread. The
        runs of one arm never depend on each other. Why: the feature-based head (a small BiLSTM
        over cached features) gains little from a second thread, so on a 2-core machine two
        one-thread runs side by side finish about twice as many runs per minute as one
        two-thread run (docs/benchmarks/parallel-runs.md). Each run's console output then goes
        to <output>/train.out instead of the terminal.
    RETURNS (List[Dict[str, object]]): one record per run (name, status, signature, seconds), in plan order.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    runs = plan.select(arm=arm, lang=lang)
    if not runs:
        raise ValueError(f"the plan ({plan.profile}) has no runs for arm {arm!r}, lang {lang!r}")
    start = time.time()
    todo, records = [], {}
    for i, run in enumerate(runs, 1):
        sig = run_signature(run, plan.settings)
        out = Path(run.output)
        done = read_run_info(out).get("signature") == sig and (out / "model-best").is_dir()
        status = "skip" if done else ("dry" if dry else "train")
        if done or dry:
            if progress:
                progress(status, run, i, len(runs), time.time() - start)
            records[run.name] = {"name": run.name, "status": status, "signature": sig}
        else:
            todo.append((i, run, sig))
    # a lone run keeps every thread: the encoder's forward pass (the source model's large
    # corpus) does use both cores
    jobs = max(1, min(jobs, len(todo)))
    if execute is None:
        execute = _subprocess_executor(jobs)

    def train(item) -> Dict[str, object]:
        i, run, sig = item
        if progress:
            progress("train", run, i, len(runs), time.time() - start)
        return _train_run(run, sig, plan.settings, execute=execute, keep_last=keep_last, jobs=jobs)

    if jobs == 1:
        for item in todo:
            record = train(item)
            records[record["name"]] = record
    else:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for record in pool.map(train, todo):  # pool.map re-raises the first failure
                records[record["name"]] = record
    return [records[run.name] for run in runs]


def _subprocess_executor(jobs: int) -> Callable[..., int]:
    """Run a command; with jobs > 1, one thread per process and the output to a log file."""
    env = None
    if jobs > 1:
        env = {**os.environ, **{name: "1" for name in THREAD_ENV}}

    def execute(cmd: List[str], log: Optional[Path] = None) -> int:
        if log is None or jobs == 1:
            return subprocess.call(cmd, env=env)
        with open(log, "w", encoding="utf8") as handle:
            return subprocess.call(cmd, env=env, stdout=handle, stderr=subprocess.STDOUT)

    return execute


def _train_run(run: Run, sig: str, settings: Dict[str, object], *, execute, keep_last: bool,
               jobs: int) -> Dict[str, object]:
    """Train one run from scratch and write its run.json (last: an interrupted run is redone)."""
    record = {"name": run.name, "status": "train", "signature": sig}
    out = Path(run.output)
    if out.exists():  # inputs changed: never mix an old model with new inputs
        shutil.rmtree(out)
    out.mkdir(parents=True)
    t0 = time.time()
    if run.subset_of:
        record["n_docs"] = make_subset(run)
    cmd = train_command(run, settings)
    dropped = oversize_docs(run, cmd)
    if dropped:
        logger.warning("%s: %d training docs are longer than the batch size and spaCy will discard them: %s",
                       run.train, len(dropped), ", ".join(dropped[:10]) + (" ..." if len(dropped) > 10 else ""))
        record["oversize_docs_discarded"] = dropped
    logger.info("training %s: %s", run.name, " ".join(cmd))
    console = out / "train.out"
    code = execute(cmd, console) if jobs > 1 else execute(cmd)
    if code != 0 or not (out / "model-best").is_dir():
        where = f"; its output: {console}" if jobs > 1 else ""
        raise RuntimeError(f"training {run.name} failed (exit code {code}); command: {' '.join(cmd)}{where}")
    if not keep_last and (out / "model-last").is_dir():
        shutil.rmtree(out / "model-last")
    meta_path = out / "model-best" / "meta.json"
    record["dev_performance"] = srsly.read_json(meta_path).get("performance", {}) if meta_path.exists() else {}
    if Path(run.log).is_file():
        record["curve"] = summarize_curve(read_curve(run.log), max_steps=run.max_steps, patience=run.patience)
    record["seconds"] = round(time.time() - t0, 1)
    record["jobs"] = jobs
    record["command"] = cmd
    srsly.write_json(out / RUN_INFO, {**record, "run": run.__dict__})
    return record
