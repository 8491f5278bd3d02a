"""Translate on Ray: a pool of long-lived actors, each holding one translator.

`clinner translate --engine ray` wraps the backend in RayTranslator and that in the usual
CachedTranslator, so the driver does all cache work: it looks every sentence up before
dispatch, sends each distinct miss once (CachedTranslator de-duplicates), and writes the
translations after every chunk. No sentence is translated twice, across workers or reruns.

Actors, not a Ray Data pipeline as in annotate/ray_engine.py: the cache calls translate()
once per chunk, and a Ray Data run per chunk would start (and load NLLB into) every actor
again each time; these actors load their translator once and serve every chunk. They are
restarted if their process dies and their batch is retried (max_restarts, max_task_retries).
"""
from typing import Any, Dict, List, Optional, Sequence

from ..util import logger

DEFAULT_BATCH = 64


class _TranslatorActor:
    def __init__(self, name: str, options: Dict[str, Any]):
        from .registry import get_translator

        self.translator = get_translator(name, **options)

    def translate(self, texts: List[str], src_lang: str, tgt_lang: str):
        out = self.translator.translate(texts, src_lang, tgt_lang)
        return out, list(getattr(self.translator, "last_truncated", None) or ())

    def signature(self) -> Dict[str, str]:
        return self.translator.cache_signature()


class RayTranslator:
    """A Translator that spreads each call over num_workers Ray actors.

    name (str), options (Dict[str, Any]): the backend, as for registry.get_translator; the
        driver builds one too, for its name and cache signature (NLLB loads its model lazily,
        so that costs nothing).
    num_workers (int): actors.
    batch_size (int): sentences per actor call.
    address (Optional[str]), connect_timeout (float): see annotate.ray_engine.connect.
    """

    def __init__(self, name: str, options: Dict[str, Any], *, num_workers: int = 2, batch_size: int = DEFAULT_BATCH,
                 address: Optional[str] = None, connect_timeout: float = 10.0):
        from ..annotate.ray_engine import connect, require_ray
        from .registry import get_translator

        if num_workers < 1:
            raise ValueError(f"--num-workers must be at least 1, got {num_workers}")
        self.local = get_translator(name, **options)
        self.name = self.local.name
        self.batch_size = batch_size
        self.truncated = 0
        self.last_truncated: List[int] = []
        self._started = connect(address, connect_timeout=connect_timeout)
        ray = require_ray()
        actor = ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=-1)(_TranslatorActor)
        self.actors = [actor.remote(name, options) for _ in range(num_workers)]
        logger.info("ray: %d %s translator actors", num_workers, name)

    def cache_signature(self) -> Dict[str, str]:
        return self.local.cache_signature()

    def translate(self, texts: Sequence[str], src_lang: str, tgt_lang: str) -> List[str]:
        """Translate texts on the actors, in batches, round robin; see Translator.translate."""
        import ray

        texts = list(texts)
        if not texts:
            # languages are still checked, as the backend itself would
            return self.local.translate([], src_lang, tgt_lang)
        # every actor gets work even from a small call: at most batch_size, at least an even share
        size = max(1, min(self.batch_size, -(-len(texts) // len(self.actors))))
        starts = list(range(0, len(texts), size))
        futures = [
            self.actors[i % len(self.actors)].translate.remote(texts[s : s + size], src_lang, tgt_lang)
            for i, s in enumerate(starts)
        ]
        out: List[str] = []
        self.last_truncated = []
        for s, (part, cut) in zip(starts, ray.get(futures)):
            out.extend(part)
            self.last_truncated.extend(s + i for i in cut)
        self.truncated += len(self.last_truncated)
        return out

    def close(self) -> None:
        import ray

        for actor in self.actors:
            ray.kill(actor)
        self.actors = []
        if self._started:
            ray.shutdown()
            self._started = False
