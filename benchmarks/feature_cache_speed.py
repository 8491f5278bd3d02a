"""Seconds per training step: cached frozen features vs the same model uncached vs partial fine-tuning.

Three pipelines on the same E3C batches (4 documents a step), in one process, alternating so
that machine noise hits all of them alike:
  cached     configs/features/target_only.cfg (encoder frozen whole, features cached per doc)
  uncached   the same with cache_max_tokens = 0 (the encoder runs at every step, no autograd)
  finetune   configs/target_only.cfg with the embeddings and layers 0-7 frozen (the previous quick
             profile's setting: layers 8-11 and the head train)
Each is warmed up for one epoch (which fills the cache), then timed over --steps steps,
--repeats times; the median seconds per step and its ratio to `cached` are reported, with the
seconds per epoch (steps per epoch x seconds per step).

    python benchmarks/feature_cache_speed.py --train corpus/e3c-es/train.spacy \
        --encoder assets/encoders/multilingual-e5-small --output docs/benchmarks/feature-cache-speed.json
"""
import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import spacy
from spacy.tokens import DocBin
from spacy.training import Example
from spacy.util import load_config, minibatch

SETUPS = {
    "cached": ("configs/features/target_only.cfg", {}),
    "uncached": ("configs/features/target_only.cfg",
                 {"components.clinner_ner.model.tok2vec.features.cache_max_tokens": 0}),
    "finetune": ("configs/target_only.cfg", {"components.transformer.model.freeze_embeddings": True,
                                             "components.transformer.model.freeze_layers": "0-7"}),
}


def build(config, overrides, train, encoder):
    cfg = load_config(config, overrides={"paths.train": train, "paths.dev": train, "paths.encoder": encoder,
                                         **overrides}, interpolate=True)
    nlp = spacy.util.load_model_from_config(cfg, auto_fill=True, validate=True)
    docs = list(DocBin(store_user_data=True).from_disk(train).get_docs(nlp.vocab))
    examples = [Example(nlp.make_doc(d.text), d) for d in docs]
    optimizer = nlp.initialize(lambda: examples)
    return nlp, examples, optimizer


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--train", required=True)
    p.add_argument("--encoder", required=True)
    p.add_argument("--batch-docs", type=int, default=4)
    p.add_argument("--steps", type=int, default=6)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--output", required=True)
    args = p.parse_args()
    models = {name: build(cfg, ov, args.train, args.encoder) for name, (cfg, ov) in SETUPS.items()}
    batches = {}
    for name, (nlp, examples, opt) in models.items():
        batches[name] = list(minibatch(examples, args.batch_docs))
        t0 = time.time()
        for batch in batches[name]:  # warm-up epoch: fills the cache of `cached`
            nlp.update(batch, sgd=opt)
        print(f"{name}: warm-up epoch {time.time() - t0:.1f} s", flush=True)
    times = {name: [] for name in models}
    for rep in range(args.repeats):
        for name, (nlp, _, opt) in models.items():
            steps = [batches[name][i % len(batches[name])] for i in range(args.steps)]
            t0 = time.perf_counter()
            for batch in steps:
                nlp.update(batch, sgd=opt)
            times[name].append((time.perf_counter() - t0) / args.steps)
        print(f"repeat {rep + 1}/{args.repeats}: " + ", ".join(f"{n} {t[-1]:.3f} s/step" for n, t in times.items()),
              flush=True)
    n_batches = len(batches["cached"])
    med = {n: statistics.median(t) for n, t in times.items()}
    result = {
        "command": "python benchmarks/feature_cache_speed.py " + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items()),
        "date": time.strftime("%Y-%m-%d"), "machine": f"{platform.machine()}, {__import__('os').cpu_count()} CPUs",
        "steps_per_epoch": n_batches,
        "median_seconds_per_step": {n: round(v, 4) for n, v in med.items()},
        "seconds_per_epoch": {n: round(v * n_batches, 2) for n, v in med.items()},
        "speedup_of_cached_over": {n: round(v / med["cached"], 2) for n, v in med.items() if n != "cached"},
        "all_seconds_per_step": times,
    }
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(result, indent=1))
    print(json.dumps({k: v for k, v in result.items() if k != "all_seconds_per_step"}, indent=1))


if __name__ == "__main__":
    main()
