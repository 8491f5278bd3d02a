"""NER speed on CPU: the spaCy pipeline (spacy-transformers + clinner_ner, configs/source.cfg)
against the same encoder run through Hugging Face AutoModelForTokenClassification.

Measured per encoder (multilingual-e5-small, all-MiniLM-L6-v2) and engine (spacy, hf):
- inference words/s: every E3C English layer1 sentence, batches of --infer-batch sentences;
  spaCy: nlp.pipe (tokenizer, transformer, tagger, Viterbi decoding, doc.ents);
  HF: tokenizer + forward + argmax, under torch.inference_mode.
- training seconds per 1,000 words: --train-steps updates of --train-batch sentences with
  DISORDER/ANATOMY (CLINENTITY/BODYPART) BIO tags; spaCy: nlp.update with the config's
  Adam (lr 2e-5, weight decay 0.01, grad clip 1.0); HF: torch AdamW with the same settings
  and cross-entropy over word pieces.
- peak memory: ru_maxrss of a fresh subprocess per measurement (torch allocations included;
  model loading counts too, it is part of what a run needs).
Words are spaCy tokens (blank "xx" tokenizer, whitespace excluded), the same count for both
engines. One warm-up batch is run and not timed. Each measurement is repeated --repeats times,
round robin so that load from other processes spreads over all of them; the median is reported.

Run: python benchmarks/ner_speed.py --output docs/benchmarks  (about 20-30 minutes on 2 cores)
"""
import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Dict, List

ROOT = Path(__file__).resolve().parent.parent
ENCODERS = {
    "e5-small": ROOT / "assets/encoders/multilingual-e5-small",
    "minilm": ROOT / "assets/encoders/all-MiniLM-L6-v2",
}
LABELS = {"CLINENTITY": "DISORDER", "BODYPART": "ANATOMY"}
TAGS = ["O"] + [f"{p}-{label}" for label in ("ANATOMY", "DISORDER") for p in ("B", "I")]


def load_e3c_sentences(layer1: Path) -> List[Dict]:
    """Sentences of E3C layer1 XMI files with their CLINENTITY/BODYPART spans (sentence offsets).

    layer1 (Path): e.g. shared/data/e3c/data_annotation/English/layer1.
    RETURNS (List[Dict]): {"doc", "text", "ents": [[start, end, label], ...]} per sentence.
    """
    out = []
    files = sorted(layer1.glob("*.xml"))
    if not files:
        raise FileNotFoundError(f"{layer1}: no E3C XMI files")
    for path in files:
        root = ET.parse(path).getroot()
        sofa = next((el for el in root.iter() if el.get("sofaString") is not None), None)
        if sofa is None:
            raise ValueError(f"{path}: no sofaString element")
        text = sofa.get("sofaString")
        ents = [(int(el.get("begin")), int(el.get("end")), LABELS[el.tag.split("}")[-1]])
                for el in root.iter() if el.tag.split("}")[-1] in LABELS]
        for el in root.iter():
            if el.tag.split("}")[-1] != "Sentence":
                continue
            start, end = int(el.get("begin")), int(el.get("end"))
            if not text[start:end].strip():
                continue
            inside = [[b - start, e - start, label] for b, e, label in ents if start <= b < e <= end]
            out.append({"doc": path.name, "text": text[start:end], "ents": inside})
    return out


def word_count(texts: List[str]) -> int:
    import spacy

    tokenizer = spacy.blank("xx").tokenizer
    return sum(sum(1 for t in tokenizer(text) if not t.is_space) for text in texts)


# ----------------------------------------------------------------------------- workers
def _batches(items: List, size: int) -> List[List]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def _spacy_nlp(encoder: Path, sentences: List[Dict]):
    import spacy
    from spacy.training import Example

    config = spacy.util.load_config(ROOT / "configs/source.cfg",
                                    overrides={"paths.encoder": str(encoder)}, interpolate=True)
    nlp = spacy.util.load_model_from_config(config, auto_fill=True, validate=True)
    examples = []
    for s in sentences:
        doc = nlp.make_doc(s["text"])
        spans = [doc.char_span(b, e, label=lab, alignment_mode="expand") for b, e, lab in s["ents"]]
        ents = spacy.util.filter_spans([sp for sp in spans if sp is not None])
        examples.append(Example.from_dict(doc, {"entities": [(sp.start_char, sp.end_char, sp.label_)
                                                             for sp in ents]}))
    return nlp, examples


def spacy_infer(encoder: Path, sentences: List[Dict], batch: int) -> float:
    nlp, examples = _spacy_nlp(encoder, sentences[:batch])
    nlp.initialize(lambda: examples)
    texts = [s["text"] for s in sentences]
    list(nlp.pipe(texts[:batch], batch_size=batch))  # warm-up
    start = time.perf_counter()
    for doc in nlp.pipe(texts, batch_size=batch):
        doc.ents  # noqa: B018  (the output a user reads)
    return time.perf_counter() - start


def spacy_train(encoder: Path, sentences: List[Dict], batch: int) -> float:
    from spacy import registry

    nlp, examples = _spacy_nlp(encoder, sentences)
    optimizer = registry.resolve({"o": nlp.config["training"]["optimizer"]})["o"]
    nlp.initialize(lambda: examples, sgd=optimizer)
    dropout = nlp.config["training"]["dropout"]
    batches = _batches(examples, batch)
    nlp.update(batches[0], sgd=optimizer, drop=dropout)  # warm-up
    start = time.perf_counter()
    for b in batches[1:]:
        nlp.update(b, sgd=optimizer, drop=dropout)
    return time.perf_counter() - start


def _hf_model(encoder: Path):
    from transformers import AutoModelForTokenClassification, AutoTokenizer, logging as hf_logging

    hf_logging.set_verbosity_error()  # "classifier newly initialised" is expected here
    tok = AutoTokenizer.from_pretrained(str(encoder), local_files_only=True)
    model = AutoModelForTokenClassification.from_pretrained(str(encoder), num_labels=len(TAGS),
                                                            local_files_only=True)
    return tok, model


def hf_infer(encoder: Path, sentences: List[Dict], batch: int) -> float:
    import torch

    tok, model = _hf_model(encoder)
    model.eval()
    batches = _batches([s["text"] for s in sentences], batch)

    def run(texts):
        enc = tok(texts, padding=True, truncation=True, return_tensors="pt")
        with torch.inference_mode():
            return model(**enc).logits.argmax(-1).numpy()

    run(batches[0])  # warm-up
    start = time.perf_counter()
    for b in batches:
        run(b)
    return time.perf_counter() - start


def hf_train(encoder: Path, sentences: List[Dict], batch: int) -> float:
    import numpy
    import torch

    tok, model = _hf_model(encoder)
    model.train()
    decay = [p for n, p in model.named_parameters() if "LayerNorm" not in n and not n.endswith("bias")]
    rest = [p for n, p in model.named_parameters() if "LayerNorm" in n or n.endswith("bias")]
    optim = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": rest, "weight_decay": 0.0}],
                              lr=2e-5, betas=(0.9, 0.999), eps=1e-8)
    char_tags = []
    for s in sentences:  # tag of every character, so word pieces take the tag of their first char
        tags = numpy.zeros(len(s["text"]) + 1, dtype=numpy.int64)
        for b, e, label in s["ents"]:
            tags[b:e] = TAGS.index(f"I-{label}")
            tags[b] = TAGS.index(f"B-{label}")
        char_tags.append(tags)

    def step(idx):
        enc = tok([sentences[i]["text"] for i in idx], padding=True, truncation=True,
                  return_offsets_mapping=True, return_tensors="np")
        offsets = enc.pop("offset_mapping")
        labels = numpy.full(offsets.shape[:2], -100, dtype=numpy.int64)
        for row, i in enumerate(idx):
            real = (offsets[row, :, 1] > offsets[row, :, 0])
            labels[row, real] = char_tags[i][offsets[row, real, 0]]
        out = model(**{k: torch.from_numpy(v) for k, v in enc.items()}, labels=torch.from_numpy(labels))
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optim.step()
        optim.zero_grad(set_to_none=True)

    batches = _batches(list(range(len(sentences))), batch)
    step(batches[0])  # warm-up
    start = time.perf_counter()
    for b in batches[1:]:
        step(b)
    return time.perf_counter() - start


WORKERS = {("spacy", "infer"): spacy_infer, ("spacy", "train"): spacy_train,
           ("hf", "infer"): hf_infer, ("hf", "train"): hf_train}


def worker(args) -> None:
    import torch

    torch.set_num_threads(args.threads)
    data = json.loads(Path(args.data).read_text(encoding="utf8"))
    task_data = data[args.task]
    batch = args.infer_batch if args.task == "infer" else args.train_batch
    seconds = WORKERS[(args.engine, args.task)](ENCODERS[args.encoder], task_data["sentences"], batch)
    words = task_data["words"] if args.task == "infer" else task_data["timed_words"]
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"seconds": seconds, "words": words, "peak_rss_mib": rss_mib}))


# ----------------------------------------------------------------------------- driver
def prepare(args) -> Dict:
    sentences = load_e3c_sentences(Path(args.e3c))
    infer = sentences[:args.infer_sentences] if args.infer_sentences else sentences
    n_train = args.train_batch * (args.train_steps + 1)
    train = sentences[:n_train]
    timed = train[args.train_batch:]  # the first batch is the untimed warm-up
    return {"infer": {"sentences": infer, "words": word_count([s["text"] for s in infer])},
            "train": {"sentences": train, "timed_words": word_count([s["text"] for s in timed])}}


def run_all(args) -> Dict:
    out_dir = Path(args.output)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = prepare(args)
    data_path = out_dir / ".ner-speed-data.json"
    data_path.write_text(json.dumps(data), encoding="utf8")
    jobs = [(r, enc, task, eng) for r in range(args.repeats) for enc in args.encoders
            for task in ("infer", "train") for eng in ("spacy", "hf")]
    runs: Dict[str, List[Dict]] = {}
    start = time.perf_counter()
    for i, (rep, enc, task, eng) in enumerate(jobs, 1):
        cmd = [sys.executable, __file__, "--worker", "--engine", eng, "--encoder", enc, "--task", task,
               "--data", str(data_path), "--threads", str(args.threads),
               "--infer-batch", str(args.infer_batch), "--train-batch", str(args.train_batch)]
        proc = subprocess.run(cmd, capture_output=True, text=True, env={**_env(), "HF_HUB_OFFLINE": "1"})
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-4000:]}")
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        runs.setdefault(f"{enc}/{task}/{eng}", []).append(result)
        elapsed = time.perf_counter() - start
        eta = elapsed / i * (len(jobs) - i)
        print(f"[{i}/{len(jobs)}] {enc} {task} {eng} repeat {rep + 1}: {result['seconds']:.1f}s, "
              f"{result['peak_rss_mib']:.0f} MiB | elapsed {elapsed / 60:.1f} min, left ~{eta / 60:.1f} min",
              flush=True)
    data_path.unlink()
    return summarise(args, data, runs)


def _env() -> Dict[str, str]:
    import os

    return dict(os.environ)


def summarise(args, data: Dict, runs: Dict[str, List[Dict]]) -> Dict:
    rows = {}
    for key, results in runs.items():
        enc, task, eng = key.split("/")
        sec = statistics.median(r["seconds"] for r in results)
        words = results[0]["words"]
        value = words / sec if task == "infer" else sec / words * 1000
        rows[key] = {"encoder": enc, "task": task, "engine": eng, "median_seconds": round(sec, 2),
                     "words": words, "value": round(value, 2),
                     "unit": "words/s" if task == "infer" else "s per 1,000 words",
                     "seconds_all": [round(r["seconds"], 2) for r in results],
                     "peak_rss_mib": round(max(r["peak_rss_mib"] for r in results))}
    return {"settings": {k: v for k, v in vars(args).items() if k not in ("worker",)},
            "inference_sentences": len(data["infer"]["sentences"]),
            "training_sentences_timed": len(data["train"]["sentences"]) - args.train_batch,
            "results": rows, "ratios": ratios(rows)}


def ratios(rows: Dict) -> Dict:
    """spaCy speed over HF speed per encoder and task (> 1: the spaCy pipeline is faster).

    ratio_of_medians compares the medians; paired_median is the median over repeats of the ratio
    of the two runs made one after the other in the same repeat, which cancels most of the load
    that other processes put on the shared CPU (it drifts over minutes, not seconds).
    """
    out = {}
    for key in rows:
        enc, task, eng = key.split("/")
        if eng != "spacy":
            continue
        s, h = rows[key], rows[f"{enc}/{task}/hf"]
        pairs = [hs / ss for ss, hs in zip(s["seconds_all"], h["seconds_all"])]
        out.setdefault(enc, {})[task] = {"ratio_of_medians": round(h["median_seconds"] / s["median_seconds"], 3),
                                         "paired_median": round(statistics.median(pairs), 3),
                                         "paired_all": [round(r, 3) for r in pairs]}
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--output", default=str(ROOT / "docs/benchmarks"), help="folder for ner-speed.json")
    p.add_argument("--e3c", default=str(ROOT.parent / "shared/data/e3c/data_annotation/English/layer1"),
                   help="E3C English layer1 XMI folder")
    p.add_argument("--encoders", nargs="+", default=list(ENCODERS), choices=list(ENCODERS),
                   help="encoders to measure (built by `clinner assets encoder`)")
    p.add_argument("--repeats", type=int, default=3, help="repeats per measurement (median reported)")
    p.add_argument("--threads", type=int, default=2, help="torch threads")
    p.add_argument("--infer-batch", type=int, default=32, help="sentences per inference batch")
    p.add_argument("--infer-sentences", type=int, default=0, help="inference sentences (0: all)")
    p.add_argument("--train-batch", type=int, default=16, help="sentences per training update")
    p.add_argument("--train-steps", type=int, default=10, help="timed training updates")
    p.add_argument("--rescore", help="recompute the ratios of an existing ner-speed.json")
    p.add_argument("--worker", action="store_true", help="internal: run one measurement")
    p.add_argument("--engine", choices=["spacy", "hf"], help="internal: worker engine")
    p.add_argument("--encoder", choices=list(ENCODERS), help="internal: worker encoder")
    p.add_argument("--task", choices=["infer", "train"], help="internal: worker task")
    p.add_argument("--data", help="internal: prepared sentences")
    args = p.parse_args()
    if args.worker:
        worker(args)
        return
    if args.rescore:
        summary = json.loads(Path(args.rescore).read_text(encoding="utf8"))
        summary["ratios"] = ratios(summary["results"])
        Path(args.rescore).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf8")
        print(json.dumps(summary["ratios"], indent=2))
        return
    missing = [str(ENCODERS[e]) for e in args.encoders if not ENCODERS[e].exists()]
    if missing:
        sys.exit(f"Encoders not built: {missing}. Run `clinner assets encoder e5-small` / `minilm` first.")
    summary = run_all(args)
    summary["date"] = time.strftime("%Y-%m-%d")
    summary["command"] = "python " + " ".join(sys.argv)
    path = Path(args.output) / "ner-speed.json"
    path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf8")
    print(json.dumps(summary["ratios"], indent=2))
    print(f"written {path}")


if __name__ == "__main__":
    main()
