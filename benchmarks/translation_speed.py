"""Translation speed: CTranslate2 int8 against transformers fp32 on the NLLB-200-distilled-600M
shape, in one run on the same inputs, plus Apertium words per second on real clinical text.

No NLLB weights can be downloaded here, so the model has the exact 600M shape (d_model 1024,
12+12 layers, 16 heads, FFN 4096, vocab 256,206) and random weights. Tokens: a sentencepiece
BPE model (8,000 pieces) trained here on the same Spanish text; its pieces are the first ids
of the 256,206-entry vocabulary (CTranslate2 fills the rest with "madeupwordN"), and both
engines get the same token sequences. Random weights do not stop on </s>, so both decode a
fixed number of steps (CTranslate2 min_decoding_length = max_decoding_length; transformers
min_new_tokens = max_new_tokens; the forced eng_Latn token is the first of them in both).

    python benchmarks/translation_speed.py --data ../shared/data --out docs/benchmarks

Writes translation-speed.json and translation-speed.md in --out. Deletes the models after.
"""
import argparse
import json
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from typing import Callable, Dict, List


def e3c_sentences(data: Path, language: str = "Spanish") -> List[str]:
    """Sentences of the E3C layer 1 documents (from the XMI Sentence annotations)."""
    sentences = []
    for path in sorted((data / "e3c" / "data_annotation" / language / "layer1").glob("*.xml")):
        root = ET.parse(path).getroot()
        sofa = next(el for el in root.iter() if el.tag.endswith("}Sofa"))
        text = sofa.get("sofaString")
        for el in root.iter():
            if el.tag.endswith("}Sentence"):
                sent = text[int(el.get("begin")) : int(el.get("end"))].strip()
                if sent:
                    sentences.append(sent)
    return sentences


def spaccc_sentences(data: Path, n_docs: int) -> List[str]:
    folder = data / "spaccc" / "medprocner" / "dataset" / "medprocner_train" / "txt"
    out = []
    for path in sorted(folder.glob("*.txt"))[:n_docs]:
        for para in path.read_text(encoding="utf8").split("\n"):
            out.extend(s for s in re.split(r"(?<=[.!?])\s+(?=[A-ZÁÉÍÓÚÑ¿¡])", para.strip()) if s)
    return out


def timed(fn: Callable[[], object], repeats: int) -> Dict[str, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return {"seconds": times, "median_s": statistics.median(times), "result": result}


def bench_apertium(name: str, sentences: List[str], repeats: int) -> List[dict]:
    from clinner_spacy.translate.apertium import ApertiumTranslator

    words = sum(len(s.split()) for s in sentences)
    rows = []
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(sentences) + "\n")
    # the bare CLI on one file (no alignment guarantees), and the backend as the project uses it
    raw = timed(lambda: subprocess.run(["apertium", "-u", "spa-eng", f.name], capture_output=True, check=True), repeats)
    Path(f.name).unlink()
    translator = ApertiumTranslator()
    ours = timed(lambda: translator.translate(sentences, "es", "en"), repeats)
    for engine, res in (("apertium CLI, one file", raw), ("ApertiumTranslator (fenced paragraphs)", ours)):
        rows.append({
            "text": name, "engine": engine, "sentences": len(sentences), "words": words,
            "seconds": [round(s, 3) for s in res["seconds"]], "median_s": round(res["median_s"], 3),
            "words_per_s": round(words / res["median_s"], 1),
        })
    return rows


def bench_nllb(sentences: List[str], beam_sentences: List[str], train_text: List[str], args) -> dict:
    import ctranslate2
    import sentencepiece
    import torch
    from transformers import AutoTokenizer, M2M100ForConditionalGeneration

    from clinner_spacy.translate.convert import convert_checkpoint
    from clinner_spacy.translate.random_nllb import NLLB_600M_SHAPE, TINY_SHAPE, make_random_nllb, train_sentencepiece

    shape = NLLB_600M_SHAPE if args.shape == "600m" else TINY_SHAPE

    work = Path(tempfile.mkdtemp(prefix="clinner-speed-", dir=args.work_dir))
    try:
        t0 = time.perf_counter()
        sp_path = train_sentencepiece(train_text, work / "spm", vocab_size=args.sp_vocab)
        hf_dir = make_random_nllb(work / "hf", sp_model=sp_path, shape=shape)
        build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        ct2_dir = convert_checkpoint(hf_dir=hf_dir, out_dir=work / "ct2", quantization="int8", low_cpu_mem_usage=True)
        convert_s = time.perf_counter() - t0
        sizes = {
            "hf_fp32_MiB": round(sum(p.stat().st_size for p in hf_dir.glob("*.safetensors")) / 2**20),
            "ct2_int8_MiB": round((ct2_dir / "model.bin").stat().st_size / 2**20),
        }
        print(f"built in {build_s:.0f}s, converted in {convert_s:.0f}s, {sizes}", file=sys.stderr)

        sp = sentencepiece.SentencePieceProcessor(model_file=str(sp_path))
        tokenizer = AutoTokenizer.from_pretrained(str(hf_dir))

        def encode(batch):
            sources = [["spa_Latn", *sp.encode(s, out_type=str), "</s>"] for s in batch]
            ids = [tokenizer.convert_tokens_to_ids(s) for s in sources]
            assert tokenizer.unk_token_id not in sum(ids, []), "pieces missing from the HF vocabulary"
            width = max(map(len, ids))
            input_ids = torch.tensor([x + [tokenizer.pad_token_id] * (width - len(x)) for x in ids])
            return sources, input_ids, (input_ids != tokenizer.pad_token_id).long()

        inputs = {1: encode(sentences), 4: encode(beam_sentences)}
        eng = tokenizer.convert_tokens_to_ids("eng_Latn")
        steps = args.steps

        torch.set_num_threads(args.threads)
        ct2 = ctranslate2.Translator(str(ct2_dir), device="cpu", compute_type="int8", inter_threads=1, intra_threads=args.threads)
        model = M2M100ForConditionalGeneration.from_pretrained(str(hf_dir), torch_dtype=torch.float32).eval()

        def run_ct2(beam, batch):
            res = ct2.translate_batch(
                batch, target_prefix=[["eng_Latn"]] * len(batch), beam_size=beam, max_batch_size=len(batch),
                min_decoding_length=steps, max_decoding_length=steps, max_input_length=0,
            )
            return sum(len(r.hypotheses[0]) for r in res)

        def run_hf(beam, inp, mask):
            with torch.inference_mode():
                out = model.generate(
                    input_ids=inp, attention_mask=mask, num_beams=beam, do_sample=False,
                    max_new_tokens=steps, min_new_tokens=steps, forced_bos_token_id=eng,
                    decoder_start_token_id=tokenizer.eos_token_id, length_penalty=1.0, early_stopping=False,
                )
            return int(out.shape[0] * (out.shape[1] - 1))  # minus the decoder start token

        results = []
        for beam in (1, 4):
            sources, input_ids, attention = inputs[beam]
            run_ct2(beam, sources[:2])  # warm-up: one-time allocations
            run_hf(beam, input_ids[:2], attention[:2])
            row = {
                "beam_size": beam, "sentences": len(sources), "source_tokens": sum(map(len, sources)),
                "max_source_tokens": input_ids.shape[1],
            }
            calls = {"ctranslate2_int8": lambda: run_ct2(beam, sources), "transformers_fp32": lambda: run_hf(beam, input_ids, attention)}
            for engine, fn in calls.items():
                res = timed(fn, args.repeats)
                row[engine] = {
                    "target_tokens": res["result"], "seconds": [round(s, 2) for s in res["seconds"]],
                    "median_s": round(res["median_s"], 2), "tokens_per_s": round(res["result"] / res["median_s"], 1),
                }
                print(engine, beam, row[engine], file=sys.stderr)
            assert row["ctranslate2_int8"]["target_tokens"] == row["transformers_fp32"]["target_tokens"]
            row["speedup"] = round(row["ctranslate2_int8"]["tokens_per_s"] / row["transformers_fp32"]["tokens_per_s"], 2)
            results.append(row)
        return {
            "shape": args.shape, "config": shape, "decoding_steps": steps, "threads": args.threads,
            "sp_vocab": args.sp_vocab, "build_s": round(build_s), "convert_s": round(convert_s), **sizes,
            "results": results,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def write_markdown(report: dict, path: Path) -> None:
    nllb = report["nllb"]
    lines = [
        "# Translation speed",
        "",
        f"Command: `{report['command']}`  ",
        f"Date: {report['date']}. Machine: {report['machine']}.  ",
        "Other helpers' jobs shared the 2 cores during the run, so absolute rates are noisy; both engines "
        "of a row ran back to back on the same inputs in the same process. Median of "
        f"{report['repeats']} runs. Raw numbers: translation-speed.json.",
        "",
        f"## NLLB-200-distilled-600M shape ({nllb['shape']}), random weights: CTranslate2 int8 vs transformers fp32",
        "",
        "Spanish sentences of 8-40 words from E3C layer 1 in corpus order, one batch per run (greedy: the first "
        f"{nllb['results'][0]['sentences']}; beam 4: the first {nllb['results'][1]['sentences']}, so that both decode "
        f"the same number of hypotheses per step), {nllb['decoding_steps']} decoding steps forced per sentence, "
        f"{nllb['threads']} threads per engine (torch.set_num_threads / intra_threads). Model files: "
        f"{nllb['hf_fp32_MiB']} MiB fp32 safetensors, {nllb['ct2_int8_MiB']} MiB CTranslate2 int8; "
        f"built in {nllb['build_s']} s, converted in {nllb['convert_s']} s.",
        "",
        "| decoding | sentences | source tokens | CTranslate2 int8 tokens/s | transformers fp32 tokens/s | speedup | target tokens |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in nllb["results"]:
        name = "greedy" if row["beam_size"] == 1 else f"beam {row['beam_size']}"
        c, h = row["ctranslate2_int8"], row["transformers_fp32"]
        lines.append(
            f"| {name} | {row['sentences']} | {row['source_tokens']} | {c['tokens_per_s']} | {h['tokens_per_s']} "
            f"| {row['speedup']}x | {c['target_tokens']} |"
        )
    greedy = nllb["results"][0]["speedup"]
    lines += [
        "",
        f"Goal (issue 3): at least 8x greedy. Measured: {greedy}x "
        f"({'met' if greedy >= 8 else 'not met'} on this machine).",
        "",
        "## Apertium (es->en), real clinical text",
        "",
        "| text | engine | sentences | words | median s | words/s |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in report["apertium"]:
        lines.append(
            f"| {row['text']} | {row['engine']} | {row['sentences']} | {row['words']} | {row['median_s']} | {row['words_per_s']} |"
        )
    lines.append("")
    path.write_text("\n".join(lines), encoding="utf8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"), help="the shared corpora folder")
    parser.add_argument("--out", type=Path, default=Path("docs/benchmarks"), help="where to write the results")
    parser.add_argument("--sentences", type=int, default=32, help="sentences in the greedy batch")
    parser.add_argument("--beam-sentences", type=int, default=8, help="sentences in the beam-4 batch")
    parser.add_argument("--steps", type=int, default=16, help="decoding steps per sentence")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per measurement (median reported)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads per engine")
    parser.add_argument("--sp-vocab", type=int, default=8000, help="pieces of the benchmark's sentencepiece model")
    parser.add_argument("--spaccc-docs", type=int, default=100, help="SPACCC documents for the Apertium rate")
    parser.add_argument("--work-dir", type=Path, default=None, help="temporary folder for the models (deleted)")
    parser.add_argument("--machine", default="2-core CPU, 24 GiB, no GPU", help="machine description for the report")
    parser.add_argument("--shape", choices=("600m", "tiny"), default="600m", help="model shape (tiny: a smoke test)")
    parser.add_argument("--skip-nllb", action="store_true", help="only the Apertium part")
    args = parser.parse_args()
    # a kill still runs the finally blocks that delete the 3 GB of models
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    e3c = e3c_sentences(args.data)
    spaccc = spaccc_sentences(args.data, args.spaccc_docs)
    report = {
        "command": "python " + " ".join(sys.argv),
        "date": date.today().isoformat(),
        "machine": args.machine,
        "platform": platform.platform(),
        "repeats": args.repeats,
        "apertium": bench_apertium("E3C es layer 1", e3c, args.repeats)
        + bench_apertium(f"SPACCC (MedProcNER train, {args.spaccc_docs} docs)", spaccc, args.repeats),
    }
    if not args.skip_nllb:
        # sentences of ordinary length, in corpus order: deterministic and typical
        batch = [s for s in e3c if 8 <= len(s.split()) <= 40]
        report["nllb"] = bench_nllb(batch[: args.sentences], batch[: args.beam_sentences], e3c + spaccc, args)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "translation-speed.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf8")
    if "nllb" in report:
        write_markdown(report, args.out / "translation-speed.md")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
