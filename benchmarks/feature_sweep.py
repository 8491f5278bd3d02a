"""Dev sweep for the feature-based arm: hidden layers, learning rate, head width (issue 10).

One process, one feature cache per hidden-layer setting shared by every run of that setting
(the cache keys hold the encoder's weight digest, so models built from the same encoder
directory share entries): the encoder runs once per document and setting, and each run costs
its head only. Each run trains until its dev score has not improved for --patience steps (or
--max-steps), evaluating every --eval-frequency steps, and reports its best dev F1, the step it
was reached at and its seconds. Never reads a test split.

    python benchmarks/feature_sweep.py --train corpus/e3c-es/train.spacy \
        --dev corpus/e3c-es/dev.spacy --encoder assets/encoders/multilingual-e5-small \
        --output docs/benchmarks/feature-sweep-es.json
"""
import argparse
import itertools
import json
import random
import time
from pathlib import Path

import spacy
from spacy.tokens import DocBin
from spacy.training import Example
from spacy.util import load_config, minibatch

from clinner_spacy.models.features import CACHE_ATTR, cache_stats


def load_examples(nlp, path):
    docs = DocBin(store_user_data=True).from_disk(path).get_docs(nlp.vocab)
    return [Example(nlp.make_doc(d.text), d) for d in docs]


def run_one(config, overrides, shared, train_path, dev_path, args):
    cfg = load_config(config, overrides=overrides, interpolate=False)
    nlp = spacy.util.load_model_from_config(cfg, auto_fill=True, validate=True)
    train = load_examples(nlp, train_path)
    dev = load_examples(nlp, dev_path)
    layers = overrides["components.clinner_ner.model.tok2vec.features.hidden_layers"]
    for node in nlp.get_pipe("clinner_ner").model.walk():
        if node.name == "frozen_features":
            node.attrs[CACHE_ATTR] = shared.setdefault(layers, node.attrs[CACHE_ATTR])
    random.seed(args.seed)
    spacy.util.fix_random_seed(args.seed)
    optimizer = nlp.initialize(lambda: train)
    optimizer.learn_rate = overrides["training.optimizer.learn_rate"]
    t0 = time.time()
    curve, best, best_step, step = [], -1.0, 0, 0
    while True:
        random.shuffle(train)
        for batch in minibatch(train, args.batch_docs):
            nlp.update(batch, sgd=optimizer, drop=args.dropout)
            step += 1
            if step % args.eval_frequency == 0:
                f = nlp.evaluate(dev)["ents_f"] * 100
                curve.append((step, round(f, 2), round(time.time() - t0, 1)))
                if f > best:
                    best, best_step = f, step
                if step - best_step >= args.patience or step >= args.max_steps:
                    return {"best_dev_f": round(best, 2), "best_step": best_step, "steps": step,
                            "seconds": round(time.time() - t0, 1), "curve": curve,
                            "cache": cache_stats(nlp.get_pipe("clinner_ner").model)}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--config", default="configs/features/source.cfg")
    p.add_argument("--train", required=True)
    p.add_argument("--dev", required=True)
    p.add_argument("--encoder", required=True)
    p.add_argument("--layers", default="last,4-7,8-11")
    p.add_argument("--lrs", default="0.001,0.003")
    p.add_argument("--widths", default="256")
    p.add_argument("--depths", default="1")
    p.add_argument("--batch-docs", type=int, default=4)
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--eval-frequency", type=int, default=20)
    p.add_argument("--patience", type=int, default=200)
    p.add_argument("--max-steps", type=int, default=1500)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--output", required=True)
    args = p.parse_args()
    shared, results = {}, []
    grid = itertools.product(args.layers.split(","), args.lrs.split(","), args.widths.split(","), args.depths.split(","))
    for layers, lr, width, depth in grid:
        overrides = {
            "paths.train": args.train, "paths.dev": args.dev, "paths.encoder": args.encoder,
            "components.clinner_ner.model.tok2vec.features.hidden_layers": layers,
            "components.clinner_ner.model.tok2vec.width": int(width),
            "components.clinner_ner.model.tok2vec.depth": int(depth),
            "training.optimizer.learn_rate": float(lr),
        }
        res = run_one(args.config, overrides, shared, args.train, args.dev, args)
        row = {"hidden_layers": layers, "lr": float(lr), "width": int(width), "depth": int(depth), **res}
        results.append(row)
        print(json.dumps({k: v for k, v in row.items() if k != "curve"}), flush=True)
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(json.dumps({"args": vars(args), "runs": results}, indent=1))


if __name__ == "__main__":
    main()
