"""NLLB-200 (and other M2M100-style models) through CTranslate2, the primary MT backend.

The model is a CTranslate2 folder made by `clinner convert-nllb` from a Hugging Face
checkpoint, e.g. facebook/nllb-200-distilled-600M (weights under CC-BY-NC 4.0: research use).
Input is tokenised with the checkpoint's sentencepiece model; the source language token starts
the input (NLLB's non-legacy format: `spa_Latn ... </s>`) and the target language token is
forced through `target_prefix`. Sentences longer than max_input_length are split (splitting.py)
and their parts' translations joined, never truncated.
"""
import hashlib
import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union

from ..util import logger
from .base import TranslationError, UnsupportedLanguagePair
from .lines import join_lines, split_lines
from .splitting import split_pieces

#: ISO 639-1 -> FLORES-200 codes (NLLB); other FLORES codes may be passed directly
FLORES_CODES = {"en": "eng_Latn", "es": "spa_Latn", "fr": "fra_Latn", "de": "deu_Latn", "it": "ita_Latn", "pt": "por_Latn", "ca": "cat_Latn"}
SP_MODEL_NAMES = ("sentencepiece.bpe.model", "spm.model", "source.spm")
HOW_TO_CONVERT = (
    "make one with `clinner convert-nllb HF_DIR OUT_DIR --quantization int8` from a Hugging Face "
    "checkpoint folder (e.g. facebook/nllb-200-distilled-600M; its weights are CC-BY-NC 4.0)"
)
_SPECIAL = frozenset(("</s>", "<s>", "<pad>"))


class NLLBTranslator:
    """Translate with an NLLB/M2M100 model converted to CTranslate2.

    model_dir (Union[str, Path]): the CTranslate2 model folder (model.bin, shared_vocabulary).
    sp_model (Optional[Union[str, Path]]): sentencepiece model; default: the one in model_dir.
    device (str): "cpu", "cuda" or "auto".
    compute_type (str): "int8" (default), "int8_float16", "float16", "float32", ...
    beam_size (int): beam width; 1 is greedy search.
    max_batch_tokens (int): token budget of one batch (CTranslate2 sorts inputs by length).
    max_input_length (int): pieces per input, language token and </s> included; longer
        sentences are split at punctuation, then at word starts, then hard.
    max_decoding_length (int): the most target tokens generated per input part.
    inter_threads (int): batches translated in parallel.
    intra_threads (int): threads per batch (0: CTranslate2 picks).
    length_penalty (float), repetition_penalty (float), no_repeat_ngram_size (int): decoding.
    """

    name = "nllb-ct2"

    def __init__(
        self,
        *,
        model_dir: Union[str, Path],
        sp_model: Optional[Union[str, Path]] = None,
        device: str = "cpu",
        compute_type: str = "int8",
        beam_size: int = 4,
        max_batch_tokens: int = 4096,
        max_input_length: int = 256,
        max_decoding_length: int = 256,
        inter_threads: int = 1,
        intra_threads: int = 0,
        length_penalty: float = 1.0,
        repetition_penalty: float = 1.0,
        no_repeat_ngram_size: int = 0,
    ):
        self.model_dir = Path(model_dir)
        if not (self.model_dir / "model.bin").exists():
            raise TranslationError(f"No CTranslate2 model in {self.model_dir} (model.bin missing); {HOW_TO_CONVERT}")
        self.sp_model = Path(sp_model) if sp_model else _find_sp_model(self.model_dir)
        if max_input_length < 3:
            raise ValueError(f"max_input_length must leave room for the language token and </s>: {max_input_length}")
        self.device = device
        self.compute_type = compute_type
        self.beam_size = beam_size
        self.max_batch_tokens = max_batch_tokens
        self.max_input_length = max_input_length
        self.max_decoding_length = max_decoding_length
        self.inter_threads = inter_threads
        self.intra_threads = intra_threads
        self.decoding = {
            "length_penalty": length_penalty,
            "repetition_penalty": repetition_penalty,
            "no_repeat_ngram_size": no_repeat_ngram_size,
        }
        self.vocab = _read_vocabulary(self.model_dir)
        self._translator = None
        self._sp = None
        self._signature: Optional[Dict[str, str]] = None

    def _load(self):
        # heavy objects are created on first use, so building from a config costs nothing
        if self._translator is None:
            import ctranslate2
            import sentencepiece

            device = self.device
            if device == "auto":
                device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
            self._translator = ctranslate2.Translator(
                str(self.model_dir),
                device=device,
                compute_type=self.compute_type,
                inter_threads=self.inter_threads,
                intra_threads=self.intra_threads,
            )
            self._sp = sentencepiece.SentencePieceProcessor(model_file=str(self.sp_model))
            logger.info("nllb-ct2: loaded %s (%s, %s)", self.model_dir, device, self.compute_type)
        return self._translator, self._sp

    def lang_token(self, lang: str) -> str:
        """RETURNS (str): the model's token for a language ("es" -> "spa_Latn" or "__es__")."""
        for token in (FLORES_CODES.get(lang), lang, f"__{lang}__"):
            if token and token in self.vocab:
                return token
        raise UnsupportedLanguagePair(f"nllb-ct2: {self.model_dir} has no language token for {lang!r}")

    def cache_signature(self) -> Dict[str, str]:
        if self._signature is None:
            import ctranslate2

            self._signature = {
                "backend": self.name,
                "model": _fingerprint(self.model_dir / "model.bin"),
                "sp_model": _fingerprint(self.sp_model),
                "ctranslate2": ctranslate2.__version__,
                "device": self.device,
                "compute_type": self.compute_type,
                "beam_size": str(self.beam_size),
                "max_input_length": str(self.max_input_length),
                "max_decoding_length": str(self.max_decoding_length),
                **{k: str(v) for k, v in self.decoding.items()},
            }
        return self._signature

    def translate(self, texts: Sequence[str], src_lang: str, tgt_lang: str) -> List[str]:
        """Translate texts; see Translator.translate. Newlines inside a text are kept."""
        src_token, tgt_token = self.lang_token(src_lang), self.lang_token(tgt_lang)
        _, sp = self._load()
        segments, layout = split_lines(texts)
        # every segment becomes one or more parts that fit max_input_length
        sources: List[List[str]] = []
        owner: List[int] = []
        for i, pieces in enumerate(sp.encode(segments, out_type=str)):
            parts = split_pieces(pieces, self.max_input_length - 2)
            if len(parts) > 1:
                logger.debug("nllb-ct2: segment %d (%d pieces) split into %d parts", i, len(pieces), len(parts))
            for part in parts:
                sources.append([src_token, *part, "</s>"])
                owner.append(i)
        hypotheses = self.translate_pieces(sources, tgt_token)
        joined: List[List[str]] = [[] for _ in segments]
        for i, pieces in zip(owner, hypotheses):
            joined[i].append(sp.decode([p for p in pieces if p not in _SPECIAL and p != tgt_token]))
        outputs = [" ".join(part.strip() for part in parts if part.strip()) for parts in joined]
        return join_lines(layout, outputs)

    def translate_pieces(self, sources: List[List[str]], tgt_token: str, **options: Any) -> List[List[str]]:
        """Translate tokenised inputs; the low-level call (the speed benchmark uses it).

        sources (List[List[str]]): token sequences, language token and </s> included.
        tgt_token (str): the target language token, forced as the first output token.
        **options: overrides of CTranslate2 translate_batch options.
        RETURNS (List[List[str]]): the best hypothesis' tokens for each input.
        """
        if not sources:
            return []
        translator, _ = self._load()
        kwargs = {
            "max_batch_size": self.max_batch_tokens,
            "batch_type": "tokens",
            "beam_size": self.beam_size,
            # inputs are already split to fit: CTranslate2 must never truncate them
            "max_input_length": 0,
            "max_decoding_length": self.max_decoding_length,
            **self.decoding,
            **options,
        }
        results = translator.translate_batch(sources, target_prefix=[[tgt_token]] * len(sources), **kwargs)
        return [result.hypotheses[0] for result in results]


def _find_sp_model(model_dir: Path) -> Path:
    for name in SP_MODEL_NAMES:
        if (model_dir / name).exists():
            return model_dir / name
    raise TranslationError(
        f"No sentencepiece model in {model_dir} (looked for {', '.join(SP_MODEL_NAMES)}); pass sp_model= "
        "or convert with `clinner convert-nllb`, which copies it from the checkpoint"
    )


def _read_vocabulary(model_dir: Path) -> frozenset:
    for name in ("shared_vocabulary.json", "target_vocabulary.json"):
        if (model_dir / name).exists():
            return frozenset(json.loads((model_dir / name).read_text(encoding="utf8")))
    for name in ("shared_vocabulary.txt", "target_vocabulary.txt"):
        if (model_dir / name).exists():
            return frozenset((model_dir / name).read_text(encoding="utf8").splitlines())
    raise TranslationError(f"No vocabulary file in {model_dir}; {HOW_TO_CONVERT}")


def _fingerprint(path: Path) -> str:
    """Size plus a hash of the first and last MiB: cheap on a 600 MB model.bin, and a
    retrained or re-quantised model changes it."""
    size = path.stat().st_size
    digest = hashlib.sha256(str(size).encode())
    with path.open("rb") as f:
        digest.update(f.read(1 << 20))
        if size > 2 << 20:
            f.seek(-(1 << 20), 2)
            digest.update(f.read())
    return f"{path.name}:{size}:{digest.hexdigest()[:16]}"
