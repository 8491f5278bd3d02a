"""Random-weight NLLB-style checkpoints, made locally, for tests and the speed benchmark.

No NLLB, M2M100 or OPUS-MT weights can be downloaded on the project's machines, so the
CTranslate2 path is exercised with models that have the real layout (M2M100 architecture,
an NllbTokenizer over a sentencepiece model, FLORES language tokens) and random weights:
a tiny one in the tests, and one with the exact NLLB-200-distilled-600M shape in
benchmarks/translation_speed.py. Their output is gibberish; their cost and shape are real.
"""
from pathlib import Path
from typing import Iterable, Optional, Sequence, Union

#: the shape of facebook/nllb-200-distilled-600M (its config.json)
NLLB_600M_SHAPE = {
    "d_model": 1024,
    "encoder_layers": 12,
    "decoder_layers": 12,
    "encoder_attention_heads": 16,
    "decoder_attention_heads": 16,
    "encoder_ffn_dim": 4096,
    "decoder_ffn_dim": 4096,
    "vocab_size": 256206,
    "max_position_embeddings": 1024,
}
TINY_SHAPE = {
    "d_model": 16,
    "encoder_layers": 1,
    "decoder_layers": 1,
    "encoder_attention_heads": 2,
    "decoder_attention_heads": 2,
    "encoder_ffn_dim": 32,
    "decoder_ffn_dim": 32,
    "vocab_size": None,
    "max_position_embeddings": 256,
}
LANG_CODES = ("eng_Latn", "spa_Latn", "fra_Latn")


def train_sentencepiece(lines: Iterable[str], model_prefix: Union[str, Path], vocab_size: int) -> Path:
    """Train a small BPE sentencepiece model.

    lines (Iterable[str]): training sentences.
    model_prefix (Union[str, Path]): output path without extension.
    vocab_size (int): number of pieces.
    RETURNS (Path): the .model file.
    """
    import sentencepiece

    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(list(lines)),
        model_prefix=str(model_prefix),
        vocab_size=vocab_size,
        model_type="bpe",
        character_coverage=1.0,
        # NLLB's own model has no language tokens: NllbTokenizer adds them as special tokens
        minloglevel=2,
    )
    return Path(f"{model_prefix}.model")


def make_random_nllb(
    out_dir: Union[str, Path],
    *,
    sp_model: Union[str, Path],
    shape: Optional[dict] = None,
    lang_codes: Sequence[str] = LANG_CODES,
    seed: int = 0,
) -> Path:
    """Save a random-weight M2M100 checkpoint with an NllbTokenizer, like an NLLB download.

    out_dir (Union[str, Path]): the Hugging Face folder to write.
    sp_model (Union[str, Path]): the sentencepiece model of the tokenizer.
    shape (Optional[dict]): config sizes (TINY_SHAPE by default); vocab_size None means the
        tokenizer's size, a larger one is padded (CTranslate2 names the extra "madeupwordN").
    lang_codes (Sequence[str]): the language tokens.
    seed (int): torch seed of the random weights.
    RETURNS (Path): out_dir.
    """
    import shutil

    import torch
    from transformers import M2M100Config, M2M100ForConditionalGeneration, NllbTokenizer

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    local_sp = out_dir / "sentencepiece.bpe.model"
    if Path(sp_model).resolve() != local_sp.resolve():
        shutil.copyfile(sp_model, local_sp)
    tokenizer = NllbTokenizer(
        vocab_file=str(local_sp), additional_special_tokens=list(lang_codes), src_lang=lang_codes[1], tgt_lang=lang_codes[0]
    )
    tokenizer.save_pretrained(str(out_dir))
    sizes = dict(shape or TINY_SHAPE)
    if sizes.get("vocab_size") is None:
        sizes["vocab_size"] = len(tokenizer)
    if sizes["vocab_size"] < len(tokenizer):
        raise ValueError(f"vocab_size {sizes['vocab_size']} is smaller than the tokenizer ({len(tokenizer)})")
    config = M2M100Config(
        **sizes,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id,
        scale_embedding=True,
        tokenizer_class="NllbTokenizer",
    )
    torch.manual_seed(seed)
    model = M2M100ForConditionalGeneration(config).eval()
    model.save_pretrained(str(out_dir))
    return out_dir
