"""Translate a target corpus's splits for the transfer arms, with the translator a project var names.

A thin layer over `clinner translate` (projection/docbin.py): it passes the NLLB model folder
only to the NLLB backend, so project.yml switches translator with one var
(`--vars.translator nllb`, the folder in vars.nllb_model_dir). Every split's input and outputs
are checked before the first is translated; existing outputs are overwritten only with force
(project.yml passes --force: weasel re-runs the command only when an input changed).
"""
from pathlib import Path
from typing import Any, Dict, Optional, Sequence, Union

from ..projection.project import DEFAULT_MAX_LOSS

NLLB_NAMES = ("nllb", "nllb-ct2")


def split_paths(corpus_dir: Path, output_dir: Path, split: str) -> Dict[str, Path]:
    """RETURNS (Dict[str, Path]): the input, output and report paths of one split."""
    return {
        "input": corpus_dir / f"{split}.spacy",
        "output": output_dir / f"{split}.spacy",
        "report": output_dir / f"{split}.report.json",
    }


def translate_splits(
    *,
    corpus_dir: Union[str, Path],
    splits: Sequence[str],
    src_lang: str,
    tgt_lang: str = "en",
    translator: str,
    nllb_model_dir: Optional[Union[str, Path]] = None,
    nllb_options: Optional[Dict[str, Any]] = None,
    cache: Optional[Union[str, Path]] = None,
    engine: str = "local",
    engine_options: Optional[Dict[str, Any]] = None,
    output_dir: Union[str, Path],
    force: bool = False,
    allow_empty: bool = False,
    max_loss: float = DEFAULT_MAX_LOSS,
    cache_stats: Optional[Dict[str, object]] = None,
) -> Dict[str, dict]:
    """Translate <corpus_dir>/<split>.spacy into <output_dir>/<split>.spacy with a report each.

    corpus_dir (Union[str, Path]): the converted target corpus (corpus/e3c-es).
    splits (Sequence[str]): splits to translate, e.g. ["train", "dev"].
    src_lang, tgt_lang (str): ISO 639-1 codes.
    translator (str): "apertium" or "nllb" (translate/registry.py).
    nllb_model_dir (Optional[Union[str, Path]]): the CTranslate2 NLLB folder (`clinner convert-nllb`).
    nllb_options (Optional[Dict[str, Any]]): NLLB run options (device, compute_type, beam_size,
        max_decoding_length, sort_by_length); ignored by the other translators.
    cache (Optional[Union[str, Path]]): the SQLite translation cache, None for none.
    engine (str): "local", or "ray" (the translator on Ray actors; translate/ray_pool.py).
    engine_options (Optional[Dict[str, Any]]): the Ray engine's num_workers, address, connect_timeout.
    output_dir (Union[str, Path]): translated/<translator>/<lang>.
    force (bool): overwrite existing outputs.
    allow_empty (bool): accept a split without documents.
    max_loss (float): see projection.project.Projector.
    cache_stats (Optional[Dict[str, object]]): filled with the cache's hits, misses, cut
        translations ("truncated") and description, when a cache is used.
    RETURNS (Dict[str, dict]): split -> projection report (as written to <split>.report.json).
    """
    from ..checks import check_not_empty, check_output_dir
    from ..docbins import read_docs
    from ..projection.docbin import check_projection_paths, project_docbin
    from ..translate.cache import CachedTranslator
    from ..translate.registry import build_backend

    if not splits:
        raise ValueError("no splits to translate")
    if translator in NLLB_NAMES and not nllb_model_dir:
        raise ValueError("the nllb translator needs nllb_model_dir (--nllb-model-dir; see README: `clinner convert-nllb`)")
    corpus_dir, output_dir = Path(corpus_dir), check_output_dir(output_dir)
    paths = {split: split_paths(corpus_dir, output_dir, split) for split in dict.fromkeys(splits)}
    for p in paths.values():
        check_projection_paths(p["input"], p["output"], p["report"], force=force)
    for p in paths.values():  # an empty split is found before the first one is written
        check_not_empty(len(read_docs(p["input"])), p["input"], allow_empty=allow_empty)
    options = {"model_dir": nllb_model_dir, **(nllb_options or {})} if translator in NLLB_NAMES else {}
    raw = build_backend(translator, options, engine=engine, **(engine_options or {}))
    backend = CachedTranslator(raw, cache, progress=False) if cache else raw
    reports = {}
    try:
        for split, p in paths.items():
            report = project_docbin(input_path=p["input"], output_path=p["output"], translator=backend,
                                    src_lang=src_lang, tgt_lang=tgt_lang, report_path=p["report"], force=force,
                                    show_progress=True, allow_empty=allow_empty, max_loss=max_loss)
            reports[split] = report.to_dict()
    finally:
        if hasattr(raw, "actors"):  # a Ray backend: stop its actors
            raw.close()
    if cache_stats is not None and isinstance(backend, CachedTranslator):
        cache_stats.update(backend.stats, truncated=backend.truncated, describe=backend.describe())
    return reports
