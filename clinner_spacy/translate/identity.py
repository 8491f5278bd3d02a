"""A translator that returns its input: for tests, dry runs and pipelines wired end to end."""
from typing import Dict, List, Sequence


class IdentityTranslator:
    """Returns every sentence unchanged (any language pair is accepted).

    name (str): the backend name recorded in metadata and cache keys.
    """

    def __init__(self, name: str = "identity"):
        self.name = name

    def translate(self, texts: Sequence[str], src_lang: str, tgt_lang: str) -> List[str]:
        return [str(text) for text in texts]

    def cache_signature(self) -> Dict[str, str]:
        return {"backend": self.name, "version": "1"}
