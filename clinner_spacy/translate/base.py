"""The translator interface every backend implements.

Projection (projection/) and the CLI only ever talk to this interface, so a backend can be
swapped from a config or project.yml var without touching the method.
"""
from typing import Dict, List, Protocol, Sequence, runtime_checkable


class TranslationError(RuntimeError):
    """A backend failed or is unusable (missing binary, model directory, language pair)."""


class UnsupportedLanguagePair(TranslationError):
    pass


@runtime_checkable
class Translator(Protocol):
    """Translates batches of sentences, keeping one output line per input line.

    A backend that can cut an output (NLLB at max_decoding_length) may also set
    `last_truncated` (List[int]): the indices, into the texts of its last translate() call,
    of translations it cut. CachedTranslator reads it to keep those out of the cache.
    """

    #: short backend name, e.g. "apertium", "nllb-ct2"; part of every cache key
    name: str

    def translate(self, texts: Sequence[str], src_lang: str, tgt_lang: str) -> List[str]:
        """Translate texts from src_lang to tgt_lang (ISO 639-1 codes: "es", "fr", "en").

        texts (Sequence[str]): sentences; empty strings must come back as empty strings.
        RETURNS (List[str]): exactly len(texts) translations, in order.
        """
        ...

    def cache_signature(self) -> Dict[str, str]:
        """Everything besides the text that changes the output (model, options, version)."""
        ...
