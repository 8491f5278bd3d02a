"""Build translators by name (CLI, project.yml) or from a config block (spacy.registry.misc).

Backends are imported when asked for, so `import clinner_spacy` stays cheap and a machine
without ctranslate2 can still use Apertium.
"""
from pathlib import Path
from typing import Any, Dict, Optional

from spacy import registry

from .base import Translator
from .cache import CachedTranslator

#: the names get_translator() accepts; "nllb-ct2" is the backend's own name, kept as an alias
TRANSLATOR_NAMES = ("apertium", "nllb", "nllb-ct2", "identity")


def get_translator(name: str, /, **options: Any) -> Translator:
    """Create a translation backend.

    name (str): "apertium", "nllb" (NLLB/M2M100 through CTranslate2) or "identity".
    **options: keyword arguments of the backend's class (ApertiumTranslator,
        NLLBTranslator, IdentityTranslator).
    RETURNS (Translator): the backend.
    """
    if name == "apertium":
        from .apertium import ApertiumTranslator

        return ApertiumTranslator(**options)
    if name in ("nllb", "nllb-ct2"):
        from .nllb_ct2 import NLLBTranslator

        return NLLBTranslator(**options)
    if name == "identity":
        from .identity import IdentityTranslator

        return IdentityTranslator(**options)
    raise ValueError(f"Unknown translator {name!r}; choose one of: {', '.join(TRANSLATOR_NAMES)}")


#: where translation runs: this process, or a pool of Ray actors (ray_pool.py)
ENGINES = ("local", "ray")


def build_backend(
    name: str,
    options: Dict[str, Any],
    *,
    engine: str = "local",
    num_workers: Optional[int] = None,
    address: Optional[str] = None,
    connect_timeout: Optional[float] = None,
) -> Translator:
    """The translator a command runs: get_translator, or the same on Ray actors.

    name (str), options (Dict[str, Any]): as for get_translator.
    engine (str): "local" or "ray".
    num_workers (Optional[int]), address (Optional[str]), connect_timeout (Optional[float]):
        the Ray engine's actors and cluster (refused for the local engine).
    RETURNS (Translator): the backend (wrap it in CachedTranslator on the driver).
    """
    ray_options = {"num_workers": num_workers, "address": address, "connect_timeout": connect_timeout}
    given = {k: v for k, v in ray_options.items() if v is not None}
    if engine == "local":
        if given:
            raise ValueError(f"{', '.join('--' + k.replace('_', '-') for k in given)} apply to --engine ray, not local")
        return get_translator(name, **options)
    if engine == "ray":
        from .ray_pool import RayTranslator

        return RayTranslator(name, options, **given)
    raise ValueError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")


@registry.misc("clinner.ApertiumTranslator.v1")
def make_apertium_translator(
    keep_unknown_marks: bool = False,
    match_initial_case: bool = True,
    batch_size: int = 2000,
) -> Translator:
    """Apertium (rule-based, offline): es->en, fr->en through Spanish, en->es.

    keep_unknown_marks (bool): keep Apertium's `*`, `#`, `@` marks on words it could not
        translate (off: the words come through bare).
    match_initial_case (bool): lowercase the first letter of the output when the input
        started lowercase (Apertium capitalises every segment it translates).
    batch_size (int): sentences per apertium process.
    """
    return get_translator(
        "apertium",
        keep_unknown_marks=keep_unknown_marks,
        match_initial_case=match_initial_case,
        batch_size=batch_size,
    )


@registry.misc("clinner.NLLBTranslator.v1")
def make_nllb_translator(
    model_dir: Path,
    sp_model: Optional[Path] = None,
    device: str = "cpu",
    compute_type: str = "int8",
    beam_size: int = 4,
    max_batch_tokens: int = 4096,
    max_input_length: int = 256,
    max_decoding_length: int = 256,
    inter_threads: int = 1,
    intra_threads: int = 0,
) -> Translator:
    """NLLB-200 (or any M2M100-style model) converted to CTranslate2.

    model_dir (Path): the CTranslate2 model folder (`clinner convert-nllb` makes one).
    sp_model (Optional[Path]): the sentencepiece model; default model_dir/sentencepiece.bpe.model.
    device (str): "cpu", "cuda" or "auto".
    compute_type (str): CTranslate2 compute type, int8 by default.
    beam_size (int): beam width (1 = greedy).
    max_batch_tokens (int): token budget per batch (batches are sorted by length).
    max_input_length (int): longer sentences are split, never truncated.
    max_decoding_length (int): maximum target tokens per piece.
    inter_threads (int): batches translated in parallel.
    intra_threads (int): threads per batch (0: CTranslate2's default).
    """
    return get_translator(
        "nllb",
        model_dir=model_dir,
        sp_model=sp_model,
        device=device,
        compute_type=compute_type,
        beam_size=beam_size,
        max_batch_tokens=max_batch_tokens,
        max_input_length=max_input_length,
        max_decoding_length=max_decoding_length,
        inter_threads=inter_threads,
        intra_threads=intra_threads,
    )


@registry.misc("clinner.NLLBTranslator.v2")
def make_nllb_translator_v2(
    model_dir: Path,
    sp_model: Optional[Path] = None,
    device: str = "auto",
    compute_type: str = "auto",
    beam_size: int = 4,
    max_batch_tokens: int = 4096,
    max_input_length: int = 256,
    max_decoding_length: int = 256,
    sort_by_length: bool = True,
    inter_threads: int = 1,
    intra_threads: int = 0,
    length_penalty: float = 1.0,
    repetition_penalty: float = 1.0,
    no_repeat_ngram_size: int = 0,
) -> Translator:
    """NLLB through CTranslate2, with the run options of issue 12 (v1 is kept as it was).

    New against v1: device and compute_type default to "auto" (cuda with int8_float16 where
    CTranslate2 sees a GPU, else cpu with int8); sort_by_length (translate each distinct
    part once, by length; same output); the decoding penalties. Outputs cut at
    max_decoding_length are counted and never cached (nllb_ct2.py).

    model_dir (Path): the CTranslate2 model folder (`clinner convert-nllb` makes one).
    sp_model (Optional[Path]): the sentencepiece model; default the one in model_dir.
    device (str): "cpu", "cuda" or "auto".
    compute_type (str): "auto" or a CTranslate2 compute type ("int8", "int8_float16", ...).
    beam_size (int): beam width (1 = greedy).
    max_batch_tokens (int): token budget per batch.
    max_input_length (int): longer sentences are split, never truncated.
    max_decoding_length (int): maximum target tokens per part, language token included.
    sort_by_length (bool): length-sorted batches of distinct parts.
    inter_threads (int): batches translated in parallel.
    intra_threads (int): threads per batch (0: CTranslate2's default).
    length_penalty (float), repetition_penalty (float), no_repeat_ngram_size (int): decoding.
    """
    return get_translator(
        "nllb",
        model_dir=model_dir,
        sp_model=sp_model,
        device=device,
        compute_type=compute_type,
        beam_size=beam_size,
        max_batch_tokens=max_batch_tokens,
        max_input_length=max_input_length,
        max_decoding_length=max_decoding_length,
        sort_by_length=sort_by_length,
        inter_threads=inter_threads,
        intra_threads=intra_threads,
        length_penalty=length_penalty,
        repetition_penalty=repetition_penalty,
        no_repeat_ngram_size=no_repeat_ngram_size,
    )


@registry.misc("clinner.IdentityTranslator.v1")
def make_identity_translator(name: str = "identity") -> Translator:
    """A translator returning its input, for dry runs and tests."""
    return get_translator("identity", name=name)


@registry.misc("clinner.CachedTranslator.v1")
def make_cached_translator(
    translator: Translator,
    cache_path: Path,
    chunk_size: int = 256,
) -> Translator:
    """Wrap a translator in the persistent cache (translates misses only, resumable).

    translator (Translator): the backend, usually a nested config block.
    cache_path (Path): the SQLite cache file.
    chunk_size (int): misses per backend call, committed after each.
    """
    return CachedTranslator(translator, cache_path, chunk_size=chunk_size)


def describe(translator: Translator) -> Dict[str, str]:
    """RETURNS (Dict[str, str]): the backend name and signature, for metadata and reports."""
    return {"translator": translator.name, **translator.cache_signature()}
