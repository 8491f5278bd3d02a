"""Runs per minute: one `spacy train` with every thread vs two one-thread runs side by side.

Why: `clinner run-arm --jobs 2` (project var train_jobs) trains the runs of an arm two at a time
with one torch/BLAS thread each. That pays only if a one-thread run is not much slower than a
run with both cores, which holds for the feature-based head (a small BiLSTM over cached
features) but not for a run dominated by the encoder's forward pass. This measures it on the
real config and data: each repeat times
  serial    the same training run twice, one after the other, default threads (both cores)
  parallel  the two runs started together, OMP/MKL/OPENBLAS_NUM_THREADS=1 each
and reports the median wall seconds of each and their ratio (serial / parallel: > 1 means
--jobs 2 finishes an arm sooner). The two runs use seeds 1 and 2, as two runs of an arm would.

    python benchmarks/parallel_runs.py --config configs/features_crf/target_only.cfg \
        --train corpus/e3c-es/train.spacy --dev corpus/e3c-es/dev.spacy \
        --encoder assets/encoders/multilingual-e5-small --steps 300 --repeats 3 \
        --output docs/benchmarks/parallel-runs.json
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def command(args, output: Path, seed: int):
    return [sys.executable, "-m", "spacy", "train", args.config, "--output", str(output),
            "--paths.train", args.train, "--paths.dev", args.dev, "--paths.encoder", args.encoder,
            "--training.max_steps", str(args.steps), "--training.eval_frequency", str(args.eval_frequency),
            "--training.patience", "0", "--system.seed", str(seed)]


def timed(procs_args, env):
    start = time.perf_counter()
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for cmd in procs_args]
    codes = [p.wait() for p in procs]
    if any(codes):
        raise RuntimeError(f"a training run failed (exit codes {codes}): {' '.join(procs_args[0])}")
    return time.perf_counter() - start


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--config", required=True)
    p.add_argument("--train", required=True)
    p.add_argument("--dev", required=True)
    p.add_argument("--encoder", required=True)
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--eval-frequency", type=int, default=100)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--output", required=True)
    p.add_argument("--force", action="store_true")
    args = p.parse_args()
    out = Path(args.output)
    if out.exists() and not args.force:
        sys.exit(f"{out} exists; pass --force to overwrite it")
    base_env = {k: v for k, v in os.environ.items() if k not in THREAD_ENV}
    one_thread = {**base_env, **{k: "1" for k in THREAD_ENV}}
    serial, parallel = [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for r in range(args.repeats):
            for mode in ("serial", "parallel") if r % 2 == 0 else ("parallel", "serial"):
                dirs = [tmp / f"{mode}{r}_{i}" for i in (1, 2)]
                cmds = [command(args, d, seed) for d, seed in zip(dirs, (1, 2))]
                if mode == "serial":
                    seconds = sum(timed([cmd], base_env) for cmd in cmds)
                    serial.append(seconds)
                else:
                    seconds = timed(cmds, one_thread)
                    parallel.append(seconds)
                print(f"repeat {r + 1}/{args.repeats} {mode}: {seconds:.1f} s for 2 runs", flush=True)
                for d in dirs:
                    shutil.rmtree(d, ignore_errors=True)
    s, q = statistics.median(serial), statistics.median(parallel)
    result = {
        "config": args.config, "train": args.train, "steps": args.steps, "eval_frequency": args.eval_frequency,
        "repeats": args.repeats, "serial_seconds": serial, "parallel_seconds": parallel,
        "median_serial_seconds": round(s, 1), "median_parallel_seconds": round(q, 1),
        "speedup_serial_over_parallel": round(s / q, 2),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()}",
        "date": time.strftime("%Y-%m-%d"),
        "command": "python " + " ".join(sys.argv),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    md = out.with_suffix(".md")
    md.write_text(
        f"# Two one-thread runs side by side vs one after the other\n\n"
        f"{result['date']}, {result['machine']}. Command: `{result['command']}`\n\n"
        f"| two runs of {args.steps} steps | median wall seconds ({args.repeats} repeats) |\n|---|---|\n"
        f"| one after the other, all threads | {s:.1f} |\n| side by side, one thread each | {q:.1f} |\n\n"
        f"Ratio: {s / q:.2f}x (above 1: `--jobs 2` trains an arm sooner).\n"
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
