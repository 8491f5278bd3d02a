"""Convert a Hugging Face NLLB / M2M100 / Marian checkpoint folder into a CTranslate2 model.

ctranslate2 4.8.5's TransformersConverter loads the model with
`from_pretrained(..., dtype=...)`. Transformers renamed `torch_dtype` to `dtype` only in
4.56; the 4.5x releases this project installs pass the unknown `dtype` on to the model's
__init__, which fails with "got an unexpected keyword argument 'dtype'". _CompatConverter
renames the argument back where needed (tests/test_translate_convert.py checks both the
failure and the fix). Drop it when the project requires transformers >= 4.56.
"""
import json
import time
from pathlib import Path
from typing import List, Union

from ..util import logger
from .base import TranslationError

QUANTIZATIONS = ("int8", "int8_float32", "int8_float16", "int8_bfloat16", "int16", "float16", "bfloat16", "float32")
#: tokenizer files the translators need beside model.bin (whichever the checkpoint has)
TOKENIZER_FILES = ("sentencepiece.bpe.model", "spm.model", "source.spm", "target.spm", "tokenizer_config.json", "special_tokens_map.json")
# transformers accepts `dtype` in from_pretrained from this version on
_DTYPE_KWARG_SINCE = (4, 56)


def transformers_accepts_dtype() -> bool:
    """RETURNS (bool): whether the installed transformers takes from_pretrained(dtype=...)."""
    import transformers

    major, minor = (int(x) for x in transformers.__version__.split(".")[:2])
    return (major, minor) >= _DTYPE_KWARG_SINCE


def _compat_converter_class():
    from ctranslate2.converters import TransformersConverter

    class _CompatConverter(TransformersConverter):
        def load_model(self, model_class, model_name_or_path, **kwargs):
            if "dtype" in kwargs and not transformers_accepts_dtype():
                kwargs["torch_dtype"] = kwargs.pop("dtype")
            return super().load_model(model_class, model_name_or_path, **kwargs)

    return _CompatConverter


def convert_checkpoint(
    *,
    hf_dir: Union[str, Path],
    out_dir: Union[str, Path],
    quantization: str = "int8",
    force: bool = False,
    low_cpu_mem_usage: bool = False,
) -> Path:
    """Convert a local Hugging Face seq2seq checkpoint into a CTranslate2 model folder.

    hf_dir (Union[str, Path]): folder with config.json, the weights and the tokenizer files.
    out_dir (Union[str, Path]): the CTranslate2 folder to write.
    quantization (str): weight type of the converted model ("int8" by default).
    force (bool): replace out_dir if it exists.
    low_cpu_mem_usage (bool): load the checkpoint with low_cpu_mem_usage (large models).
    RETURNS (Path): out_dir. A clinner_conversion.json in it records how it was made.
    """
    hf_dir, out_dir = Path(hf_dir), Path(out_dir)
    if not (hf_dir / "config.json").exists():
        raise TranslationError(f"{hf_dir}: not a Hugging Face checkpoint folder (config.json missing)")
    if quantization not in QUANTIZATIONS:
        raise ValueError(f"quantization {quantization!r} is not one of {', '.join(QUANTIZATIONS)}")
    if out_dir.exists() and any(out_dir.iterdir()) and not force:
        raise TranslationError(f"{out_dir} exists and is not empty; pass force=True (--force) to replace it")
    copy_files: List[str] = [name for name in TOKENIZER_FILES if (hf_dir / name).exists()]
    if not any(name.endswith((".model", ".spm")) for name in copy_files):
        logger.warning("%s has no sentencepiece model; translators will need sp_model=", hf_dir)
    import ctranslate2
    import transformers

    converter = _compat_converter_class()(
        str(hf_dir), copy_files=copy_files or None, low_cpu_mem_usage=low_cpu_mem_usage
    )
    start = time.perf_counter()
    logger.info("converting %s -> %s (%s)", hf_dir, out_dir, quantization)
    converter.convert(str(out_dir), quantization=quantization, force=True)
    seconds = time.perf_counter() - start
    config = json.loads((hf_dir / "config.json").read_text(encoding="utf8"))
    record = {
        "source": str(hf_dir.resolve()),
        "model_type": config.get("model_type"),
        "architectures": config.get("architectures"),
        "quantization": quantization,
        "copied_files": copy_files,
        "ctranslate2": ctranslate2.__version__,
        "transformers": transformers.__version__,
        "seconds": round(seconds, 2),
    }
    (out_dir / "clinner_conversion.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf8")
    logger.info("converted in %.1fs", seconds)
    return out_dir

