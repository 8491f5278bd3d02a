"""`clinner annotate` throughput: the local engine against Ray with 1 and 2 workers.

What is measured, per arm (local, ray-1, ray-2, ... from --workers):
- docs/s of the annotation stage (annotate_corpus's annotate_seconds: engine start, every
  document through the pipeline, the output written; the input scan and spacy.load excluded,
  they are the same for every arm);
- Ray's per-document overhead on this small job: (ray-1 seconds - local seconds) / docs, the
  cost of actor start-up, shipping the pipeline, serialising records and ordering, spread
  over the documents.
Ray itself is started once (ray.init, timed and reported separately) and shared by the Ray
arms, as in a session that annotates several files. Arms run round robin, --repeats times
(at least 5 for the reported numbers), so load from other processes spreads over all of
them; medians are reported, with min and max.

The pipeline is --model, or by default a small one built here (blank "en" + entity_ruler with
clinical terms), so that the number shows the engines' overhead rather than a model's speed;
pass a real pipeline (e.g. packages/stage/es/...) to see where Ray starts to pay off.

Run (idle machine, ~5-10 minutes with the defaults):
    python benchmarks/annotate_throughput.py --docs 5000 --repeats 5 --output docs/benchmarks
Smoke test (seconds, writes nothing under docs/):
    python benchmarks/annotate_throughput.py --docs 40 --repeats 1 --output /tmp/annotate-bench --force
"""
import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TERMS = {"DISORDER": ["fever", "cough", "diabetes", "hypertension", "pneumonia"],
         "DRUG": ["aspirin", "metformin", "insulin", "paracetamol"], "ANATOMY": ["liver", "kidney", "lung"]}
FILLER = "the patient was seen on admission with no history of and was treated for during stay in ward".split()
NAME = "annotate-throughput"


def make_docs(n: int, seed: int = 0) -> List[str]:
    """RETURNS (List[str]): n synthetic clinical sentences (10-40 words) with some known terms."""
    rng = random.Random(seed)
    words = FILLER + [t for terms in TERMS.values() for t in terms]
    return [" ".join(rng.choice(words) for _ in range(rng.randint(10, 40))) + "." for _ in range(n)]


def build_model(path: Path) -> Path:
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": k, "pattern": t} for k, ts in TERMS.items() for t in ts])
    nlp.to_disk(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=5000, help="documents per run")
    parser.add_argument("--repeats", type=int, default=5, help="runs per arm (>= 5 for reported numbers)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--workers", default="1 2", help="Ray worker counts to measure, space separated")
    parser.add_argument("--model", default=None, help="pipeline to run (default: a small entity_ruler pipeline)")
    parser.add_argument("--num-cpus", type=int, default=None, help="CPUs of the local Ray instance (default all)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks")
    parser.add_argument("--force", action="store_true", help="overwrite existing results")
    args = parser.parse_args()

    from clinner_spacy.annotate.run import annotate_corpus

    out_json, out_md = args.output / f"{NAME}.json", args.output / f"{NAME}.md"
    for path in (out_json, out_md):
        if path.exists() and not args.force:
            sys.exit(f"{path} exists; pass --force to overwrite it")
    workers = [int(w) for w in args.workers.split()]
    arms = ["local"] + [f"ray-{w}" for w in workers]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        source = tmp / "in.jsonl"
        source.write_text("".join(json.dumps({"id": f"d{i}", "text": t}) + "\n" for i, t in enumerate(make_docs(args.docs))))
        model = args.model or str(build_model(tmp / "model"))
        import ray

        t0 = time.perf_counter()
        ray.init(num_cpus=args.num_cpus, include_dashboard=False, log_to_driver=False, configure_logging=False)
        ray_init_s = time.perf_counter() - t0
        import logging

        logging.getLogger("ray.data").setLevel(logging.WARNING)
        seconds: Dict[str, List[float]] = {arm: [] for arm in arms}
        outputs: Dict[str, bytes] = {}
        try:
            for rep in range(args.repeats):
                for arm in arms:
                    engine, options = ("local", {}) if arm == "local" else ("ray", {"num_workers": int(arm.split("-")[1])})
                    out = tmp / f"{arm}.jsonl"
                    summary = annotate_corpus(input_path=source, model=model, output=out, batch_size=args.batch_size,
                                              engine=engine, engine_options=options, force=True, show_progress=False)
                    seconds[arm].append(summary["annotate_seconds"])
                    outputs[arm] = out.read_bytes()
                    print(f"repeat {rep + 1}/{args.repeats} {arm}: {summary['annotate_seconds']:.2f}s "
                          f"({args.docs / summary['annotate_seconds']:.0f} docs/s)", file=sys.stderr)
        finally:
            ray.shutdown()
    identical = all(o == outputs["local"] for o in outputs.values())
    results = {}
    for arm, values in seconds.items():
        med = statistics.median(values)
        results[arm] = {"seconds_median": round(med, 3), "seconds_min": round(min(values), 3),
                        "seconds_max": round(max(values), 3), "docs_per_second": round(args.docs / med, 1)}
    local = results["local"]["seconds_median"]
    for arm in arms[1:]:
        results[arm]["overhead_ms_per_doc_vs_local"] = round(1000 * (results[arm]["seconds_median"] - local) / args.docs, 3)
    record = {
        "docs": args.docs, "repeats": args.repeats, "batch_size": args.batch_size, "model": args.model or "entity_ruler (built)",
        "ray_init_seconds": round(ray_init_s, 2), "outputs_identical": identical, "arms": results,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "command": " ".join([Path(sys.argv[0]).as_posix()] + sys.argv[1:]),
    }
    args.output.mkdir(parents=True, exist_ok=True)
    out_json.write_text(json.dumps(record, indent=2) + "\n")
    lines = [
        f"# clinner annotate throughput: local vs Ray ({args.docs} docs, median of {args.repeats})", "",
        f"Pipeline: {record['model']}; batch size {args.batch_size}; {os.cpu_count()} CPUs; "
        f"Ray started once in {ray_init_s:.1f}s (not in the times below). Outputs identical across arms: {identical}.", "",
        "| arm | docs/s | median s | min s | max s | Ray overhead ms/doc |", "|---|---:|---:|---:|---:|---:|",
    ]
    for arm in arms:
        r = results[arm]
        lines.append(f"| {arm} | {r['docs_per_second']} | {r['seconds_median']} | {r['seconds_min']} | {r['seconds_max']} | "
                     f"{r.get('overhead_ms_per_doc_vs_local', '')} |")
    if args.repeats < 5:
        lines += ["", f"Only {args.repeats} repeat(s): a smoke run, not a measurement."]
    lines += ["", f"Command: `{record['command']}`"]
    out_md.write_text("\n".join(lines) + "\n")
    print(f"wrote {out_json} and {out_md}", file=sys.stderr)


if __name__ == "__main__":
    main()
