"""The local engine: nlp.pipe in this process, one memory zone per batch.

spaCy >= 3.8's Language.memory_zone frees the strings and other vocab entries that a batch
added once the batch is done, so a long run over millions of documents stays bounded in
memory; the Docs must not outlive the zone, so each batch is turned into plain records inside
it. The Ray engine's actors (ray_engine.py) run the same annotate_batch.
"""
import contextlib
from itertools import islice
from typing import Any, Dict, Iterable, Iterator, List, Tuple

from spacy.language import Language

from .io import InputRecord, doc_record

#: what every engine yields: (record ordinal, output record), in input order
Annotated = Tuple[int, Dict[str, Any]]


def annotate_batch(nlp: Language, records: List[InputRecord], batch_size: int) -> List[Annotated]:
    """Annotate one batch inside a memory zone.

    nlp (Language): the pipeline.
    records (List[InputRecord]): the batch.
    batch_size (int): nlp.pipe's batch size.
    RETURNS (List[Annotated]): (ordinal, output record) per input record, in order.
    """
    zone = nlp.memory_zone() if hasattr(nlp, "memory_zone") else contextlib.nullcontext()
    with zone:
        docs = nlp.pipe([r.text for r in records], batch_size=batch_size)
        return [(r.ordinal, doc_record(doc, r)) for r, doc in zip(records, docs)]


class LocalEngine:
    """Annotate in this process.

    nlp (Language): the pipeline.
    batch_size (int): documents per nlp.pipe batch and per memory zone.
    """

    name = "local"

    def __init__(self, nlp: Language, *, batch_size: int = 64):
        self.nlp = nlp
        self.batch_size = batch_size

    def __call__(self, records: Iterable[InputRecord]) -> Iterator[Annotated]:
        """YIELDS (Annotated): the annotated records, in input order."""
        records = iter(records)
        while True:
            batch = list(islice(records, self.batch_size))
            if not batch:
                return
            yield from annotate_batch(self.nlp, batch, self.batch_size)

    def close(self) -> None:
        pass
