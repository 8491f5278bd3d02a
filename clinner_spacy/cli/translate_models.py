"""`clinner convert-nllb`: make a CTranslate2 model from a Hugging Face checkpoint folder."""
from pathlib import Path

import typer
from wasabi import msg

from ..translate.base import TranslationError
from ..translate.convert import QUANTIZATIONS, convert_checkpoint
from .app import app


@app.command("convert-nllb")
def convert_nllb_cli(
    hf_dir: Path = typer.Argument(
        ...,
        help="Hugging Face checkpoint folder (NLLB, M2M100 or Marian), e.g. a local copy of facebook/nllb-200-distilled-600M",
    ),
    out_dir: Path = typer.Argument(
        ...,
        help="CTranslate2 model folder to write (model.bin, vocabulary, sentencepiece model)",
    ),
    quantization: str = typer.Option(
        "int8",
        "--quantization",
        "-q",
        help=f"Weight type: {', '.join(QUANTIZATIONS)}",
    ),
    force: bool = typer.Option(
        False,
        "--force",
        help="Replace OUT_DIR if it exists",
    ),
    low_cpu_mem_usage: bool = typer.Option(
        False,
        "--low-cpu-mem-usage",
        help="Load the checkpoint with low_cpu_mem_usage (large models on small machines)",
    ),
) -> None:
    """Convert a Hugging Face NLLB/M2M100/Marian checkpoint into CTranslate2 (int8 by default)."""
    try:
        path = convert_checkpoint(
            hf_dir=hf_dir,
            out_dir=out_dir,
            quantization=quantization,
            force=force,
            low_cpu_mem_usage=low_cpu_mem_usage,
        )
    except (TranslationError, ValueError) as err:
        msg.fail(str(err), exits=1)
    size = sum(f.stat().st_size for f in path.iterdir() if f.is_file())
    msg.good(f"Converted {hf_dir} -> {path} ({quantization}, {size / 2**20:.1f} MiB)")
