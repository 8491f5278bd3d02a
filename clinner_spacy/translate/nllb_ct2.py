"""NLLB-200 (and other M2M100-style models) through CTranslate2, the primary MT backend.

The model is a CTranslate2 folder made by `clinner convert-nllb` from a Hugging Face
checkpoint, e.g. facebook/nllb-200-distilled-600M (weights under CC-BY-NC 4.0: research use).
Input is tokenised with the checkpoint's sentencepiece model; the source language token starts
the input (NLLB's non-legacy format: `spa_Latn ... </s>`) and the target language token is
forced through `target_prefix`. Sentences longer than max_input_length are split (splitting.py)
and their parts' translations joined, never truncated.

Run options (device, compute type, beam, decoding length) are fields of the translator, so the
CLI, project.yml and configs (clinner.NLLBTranslator.v2) set them the same way. Two guards:
- an output that stops at max_decoding_length instead of at </s> was cut; every call counts
  them (stats, last_truncated) and logs a warning, and CachedTranslator never caches them,
  so a cut translation is reported again on every run until the limit is raised;
- with sort_by_length, each distinct input part is translated once, in order of length
  (less padding), and the results are put back in input order: the output is the same as
  the unsorted path (tests/test_translate_nllb_options.py checks it).
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
_END = "</s>"
DEVICES = ("cpu", "cuda", "auto")
#: what compute_type="auto" means on each device (CTranslate2's own "auto" is never passed on,
#: so a cache signature names the type really used)
AUTO_COMPUTE_TYPES = {"cpu": "int8", "cuda": "int8_float16"}


def resolve_device(device: str) -> str:
    """The CTranslate2 device for a device option.

    device (str): "cpu", "cuda" or "auto" (cuda when CTranslate2 sees a GPU, else cpu).
    RETURNS (str): "cpu" or "cuda".
    """
    if device not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}, not {device!r}")
    if device == "cpu":
        return device
    import ctranslate2

    n_gpus = ctranslate2.get_cuda_device_count()
    if device == "auto":
        return "cuda" if n_gpus > 0 else "cpu"
    if n_gpus == 0:
        raise TranslationError("nllb-ct2: device 'cuda' asked for, but CTranslate2 sees no CUDA device; use --device cpu or auto")
    return device


def resolve_compute_type(compute_type: str, device: str) -> str:
    """RETURNS (str): compute_type, or for "auto" the default of the (resolved) device."""
    return AUTO_COMPUTE_TYPES[device] if compute_type == "auto" else compute_type


class NLLBTranslator:
    """Translate with an NLLB/M2M100 model converted to CTranslate2.

    model_dir (Union[str, Path]): the CTranslate2 model folder (model.bin, shared_vocabulary).
    sp_model (Optional[Union[str, Path]]): sentencepiece model; default: the one in model_dir.
    device (str): "cpu", "cuda" or "auto" (cuda if CTranslate2 sees a GPU).
    compute_type (str): "auto" (int8 on cpu, int8_float16 on cuda), "int8", "int8_float16",
        "float16", "float32", ...
    beam_size (int): beam width; 1 is greedy search.
    max_batch_tokens (int): token budget of one batch.
    max_input_length (int): pieces per input, language token and </s> included; longer
        sentences are split at punctuation, then at word starts, then hard.
    max_decoding_length (int): the most target tokens generated per input part, the target
        language token included; outputs that reach it are counted as cut.
    sort_by_length (bool): translate each distinct part once, sorted by length.
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
    ):
        self.model_dir = Path(model_dir)
        if not (self.model_dir / "model.bin").exists():
            raise TranslationError(f"No CTranslate2 model in {self.model_dir} (model.bin missing); {HOW_TO_CONVERT}")
        self.sp_model = Path(sp_model) if sp_model else _find_sp_model(self.model_dir)
        if max_input_length < 3:
            raise ValueError(f"max_input_length must leave room for the language token and </s>: {max_input_length}")
        if device not in DEVICES:
            raise ValueError(f"nllb-ct2: device must be one of {', '.join(DEVICES)}, not {device!r}")
        if beam_size < 1:
            raise ValueError(f"nllb-ct2: beam_size must be at least 1, got {beam_size}")
        if max_decoding_length < 2:
            raise ValueError(
                f"nllb-ct2: max_decoding_length must leave room for the language token and one more, got {max_decoding_length}"
            )
        self.device = device
        self.compute_type = compute_type
        self.beam_size = beam_size
        self.max_batch_tokens = max_batch_tokens
        self.max_input_length = max_input_length
        self.max_decoding_length = max_decoding_length
        self.sort_by_length = sort_by_length
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
        self._resolved: Optional[tuple] = None
        #: counts over the translator's life: parts sent, distinct parts translated, cut outputs
        self.parts = 0
        self.distinct_parts = 0
        self.truncated_parts = 0
        self.truncated = 0
        #: indices (into the last translate() call's texts) of translations that were cut
        self.last_truncated: List[int] = []
        #: per input of the last translate_pieces() call: whether its output was cut
        self.last_cut_parts: List[bool] = []

    def resolved(self) -> tuple:
        """RETURNS (Tuple[str, str]): the device and compute type really used."""
        if self._resolved is None:
            device = resolve_device(self.device)
            self._resolved = (device, resolve_compute_type(self.compute_type, device))
        return self._resolved

    @property
    def stats(self) -> Dict[str, int]:
        """RETURNS (Dict[str, int]): parts sent, distinct parts translated, cut parts and texts."""
        return {
            "parts": self.parts,
            "distinct_parts": self.distinct_parts,
            "truncated_parts": self.truncated_parts,
            "truncated": self.truncated,
        }

    def _load(self):
        # heavy objects are created on first use, so building from a config costs nothing
        if self._translator is None:
            import ctranslate2
            import sentencepiece

            device, compute_type = self.resolved()
            self._translator = ctranslate2.Translator(
                str(self.model_dir),
                device=device,
                compute_type=compute_type,
                inter_threads=self.inter_threads,
                intra_threads=self.intra_threads,
            )
            self._sp = sentencepiece.SentencePieceProcessor(model_file=str(self.sp_model))
            logger.info("nllb-ct2: loaded %s (%s, %s)", self.model_dir, device, compute_type)
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

            # the resolved device and type: "auto" on a GPU machine is not "auto" on a laptop;
            # sort_by_length is left out because it does not change the output
            device, compute_type = self.resolved()
            self._signature = {
                "backend": self.name,
                "model": _fingerprint(self.model_dir / "model.bin"),
                "sp_model": _fingerprint(self.sp_model),
                "ctranslate2": ctranslate2.__version__,
                "device": device,
                "compute_type": compute_type,
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
        cut = self.last_cut_parts
        joined: List[List[str]] = [[] for _ in segments]
        for i, pieces in zip(owner, hypotheses):
            joined[i].append(sp.decode([p for p in pieces if p not in _SPECIAL and p != tgt_token]))
        outputs = [" ".join(part.strip() for part in parts if part.strip()) for parts in joined]
        text_of = [t for t, lines in enumerate(layout) for _, seg, _ in lines if seg is not None]
        self.last_truncated = sorted({text_of[owner[j]] for j, was_cut in enumerate(cut) if was_cut})
        if self.last_truncated:
            self.truncated += len(self.last_truncated)
            example = texts[self.last_truncated[0]]
            logger.warning(
                "nllb-ct2: %d of %d translations reached max_decoding_length=%d and were cut "
                "(first: %r); raise max_decoding_length (--max-decoding-length)",
                len(self.last_truncated), len(texts), self.max_decoding_length, example[:80],
            )
        return join_lines(layout, outputs)

    def translate_pieces(self, sources: List[List[str]], tgt_token: str, **options: Any) -> List[List[str]]:
        """Translate tokenised inputs; the low-level call (the speed benchmark uses it).

        sources (List[List[str]]): token sequences, language token and </s> included.
        tgt_token (str): the target language token, forced as the first output token.
        **options: overrides of CTranslate2 translate_batch options.
        RETURNS (List[List[str]]): the best hypothesis' tokens for each input (no </s>);
            last_cut_parts then says, per input, whether its output was cut.
        """
        if not sources:
            self.last_cut_parts = []
            return []
        translator, _ = self._load()
        kwargs = {
            "max_batch_size": self.max_batch_tokens,
            "batch_type": "tokens",
            "beam_size": self.beam_size,
            # inputs are already split to fit: CTranslate2 must never truncate them
            "max_input_length": 0,
            "max_decoding_length": self.max_decoding_length,
            # an output that ends without </s> stopped at max_decoding_length: it was cut
            "return_end_token": True,
            **self.decoding,
            **options,
        }
        if self.sort_by_length:
            # distinct inputs in first-seen order, sorted (stable) by length, so that batches
            # hold inputs of similar length; results go back to every copy, in input order
            distinct = sorted(dict.fromkeys(map(tuple, sources)), key=len)
            results = translator.translate_batch(
                [list(s) for s in distinct], target_prefix=[[tgt_token]] * len(distinct), **kwargs
            )
            by_source = {s: r.hypotheses[0] for s, r in zip(distinct, results)}
            hypotheses = [by_source[tuple(s)] for s in sources]
            self.distinct_parts += len(distinct)
        else:
            results = translator.translate_batch(sources, target_prefix=[[tgt_token]] * len(sources), **kwargs)
            hypotheses = [result.hypotheses[0] for result in results]
            self.distinct_parts += len(sources)
        self.parts += len(sources)
        cut = [not h or h[-1] != _END for h in hypotheses]
        self.truncated_parts += sum(cut)
        self.last_cut_parts = cut
        return [h[:-1] if h and h[-1] == _END else list(h) for h in hypotheses]


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
