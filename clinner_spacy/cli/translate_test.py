"""`clinner translate-test`: score an English pipeline on target text through translation (translate_test/)."""
from pathlib import Path
from typing import List, Optional

import typer
from wasabi import msg

from .app import app
from .evaluate import EXTRA_ARGS

ALIGNERS = ("simalign", "lexical")


@app.command("translate-test", context_settings=EXTRA_ARGS)
def translate_test_cli(
    ctx: typer.Context,
    model: str = typer.Option(
        ...,
        "--model",
        help="English NER pipeline (folder or package), run on the translations",
    ),
    gold: Path = typer.Option(
        ...,
        "--gold",
        help="Gold DocBin (.spacy) in the source language, e.g. corpus/e3c-es/test.spacy",
    ),
    src: str = typer.Option(
        ...,
        "--src",
        help="Language of the gold texts (ISO 639-1: es, fr)",
    ),
    tgt: str = typer.Option(
        "en",
        "--tgt",
        help="Language of the pipeline",
    ),
    output: Path = typer.Option(
        ...,
        "--output",
        help="Metrics JSON to write (the format of clinner evaluate, arm translate_test)",
    ),
    markdown: Optional[Path] = typer.Option(
        None,
        "--markdown",
        help="Also write the metrics table as markdown here",
    ),
    pred_output: Optional[Path] = typer.Option(
        None,
        "--pred-output",
        help="Also write the predicted docs (.spacy), with the alignment counts in their metadata",
    ),
    translator: str = typer.Option(
        "apertium",
        "--translator",
        help="Backend: apertium, nllb or identity",
    ),
    model_dir: Optional[Path] = typer.Option(
        None,
        "--model-dir",
        help="CTranslate2 model folder (nllb only)",
    ),
    cache: Optional[Path] = typer.Option(
        None,
        "--cache",
        help="SQLite translation cache; default .cache/translations.sqlite in a project folder, else the user cache dir",
    ),
    no_cache: bool = typer.Option(
        False,
        "--no-cache",
        help="Translate everything again without reading or writing the cache",
    ),
    aligner: str = typer.Option(
        "simalign",
        "--aligner",
        help="simalign (multilingual encoder, argmax both ways) or lexical (equal words; identity translation)",
    ),
    encoder: Path = typer.Option(
        Path("assets/encoders/multilingual-e5-small"),
        "--encoder",
        help="simalign: Hugging Face encoder folder",
    ),
    layer: int = typer.Option(
        8,
        "--layer",
        help="simalign: hidden layer compared (0 = embeddings)",
    ),
    align_batch_size: int = typer.Option(
        32,
        "--align-batch-size",
        help="simalign: sentences per encoder call",
    ),
    labels: List[str] = typer.Option(
        [],
        "--labels",
        help="Score only these labels (default: all)",
    ),
    bootstrap: int = typer.Option(
        1000,
        "--bootstrap",
        help="Bootstrap resamples for the 95% interval of strict micro F1 (0: none)",
    ),
    seed: int = typer.Option(
        0,
        "--seed",
        help="Bootstrap seed",
    ),
    batch_size: int = typer.Option(
        8,
        "--batch-size",
        help="Documents translated and tagged together",
    ),
    force: bool = typer.Option(
        False,
        "--force",
        help="Overwrite --output, --markdown and --pred-output if they exist (never --gold)",
    ),
    allow_empty: bool = typer.Option(
        False,
        "--allow-empty",
        help="Score a gold file without documents instead of failing",
    ),
) -> None:
    """Translate the gold texts to English, tag them with MODEL, map the entities back and score."""
    from ..checks import check_input_file, check_output_files
    from ..docbins import write_docs
    from ..evaluation.report import to_markdown, write_json, write_markdown
    from ..translate.base import TranslationError
    from ..translate.cache import CachedTranslator, default_cache_path
    from ..translate.registry import get_translator
    from ..translate_test.align import EncoderAligner, LexicalAligner
    from ..translate_test.run import translate_test_files
    from .translate import translator_options

    label_list = list(labels) + list(ctx.args)
    if ctx.args and not labels:
        msg.fail(f"unexpected arguments {ctx.args}", exits=1)
    backend = None
    try:
        if aligner not in ALIGNERS:
            raise ValueError(f"unknown --aligner {aligner!r}; choose one of: {', '.join(ALIGNERS)}")
        check_input_file(gold, suffixes=(".spacy",), what="--gold")
        check_output_files([output, markdown, pred_output], inputs=[gold], force=force)
        options = translator_options(translator, model_dir, "--model-dir")
        if aligner == "simalign" and not (encoder / "config.json").is_file():
            raise FileNotFoundError(f"--encoder {encoder}: not a Hugging Face model folder (no config.json)")
        align = (EncoderAligner(encoder, layer=layer, batch_size=align_batch_size) if aligner == "simalign"
                 else LexicalAligner())
        backend = get_translator(translator, **options)
        if not no_cache:
            backend = CachedTranslator(backend, cache or default_cache_path(), progress=False)
        metrics, pred_docs = translate_test_files(
            model=model, gold=gold, src_lang=src, tgt_lang=tgt, translator=backend, aligner=align,
            labels=label_list or None, n_bootstrap=bootstrap, seed=seed, batch_size=batch_size,
            allow_empty=allow_empty,
        )
    except (TranslationError, FileNotFoundError, FileExistsError, ValueError, ImportError, OSError) as err:
        msg.fail(str(err), exits=1)
    finally:
        if isinstance(backend, CachedTranslator):
            cache_text = backend.describe()
            backend.close()
    title = f"{gold.name}: translate-test of {model} ({translator}, {aligner})"
    print(to_markdown(metrics, title=title))
    write_json(metrics, output)
    msg.good(f"Metrics written to {output}")
    if markdown:
        write_markdown(metrics, markdown, title=title)
        msg.good(f"Markdown written to {markdown}")
    if pred_output:
        write_docs(pred_docs, pred_output)
        msg.good(f"Predictions written to {pred_output}")
    info = metrics["translate_test"]
    counts = info["counts"]
    msg.text(
        f"{counts.get('english_entities', 0)} English entities: {counts.get('kept', 0)} mapped, "
        f"{counts.get('unaligned', 0)} without an aligned word, {counts.get('overlap_dropped', 0)} dropped by overlap; "
        f"{counts.get('tokens_aligned', 0)}/{counts.get('tokens', 0)} words aligned; "
        f"{info['seconds']} s ({info['docs_per_second']} docs/s)"
    )
    if not no_cache and "cache_text" in locals():
        msg.text(f"Cache: {cache_text}")
