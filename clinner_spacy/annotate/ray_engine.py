"""The Ray engine: Ray Data map_batches over a pool of actors, each holding one pipeline.

The driver loads the pipeline once (so a bad model fails before Ray starts) and ships it
pickled to the workers through the object store (the way nlp.pipe(n_process=...) ships it;
rebuilding from nlp.config and nlp.to_bytes() loses an entity_ruler's matches in spaCy
3.8); each actor unpickles it once, so workers need this package and the same spaCy but no
copy of the model folder (a real cluster's nodes need not share a file system). Records go in and out in input order
(DataContext.execution_options.preserve_order), so the output is the local engine's,
record for record, and shards (shards.py) are cut from the stream as on the local engine.

Actors restart when their process dies and their batch is retried: Ray Data's actor pools
default to max_restarts = max_task_retries = -1 (passing them ourselves is deprecated since
Ray 2.5x), and tests/test_annotate_ray.py kills a worker to check it: a killed worker costs
its batch, not the run. connect() checks an --address with a plain TCP connection first, so an
unreachable cluster is an error naming it within connect_timeout seconds, not a hang.
"""
import json
import pickle
import socket
from typing import Any, Callable, Dict, Iterable, Iterator, Optional

from spacy.language import Language

from ..util import logger
from .io import InputRecord
from .local import Annotated, annotate_batch

DEFAULT_WORKERS = 2
DEFAULT_CONNECT_TIMEOUT = 10.0
MAX_BLOCKS = 1000
HOW_TO_INSTALL = "pip install 'clinner-spacy[ray]'"


def require_ray():
    """RETURNS (module): ray, or an ImportError that says how to install it."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise ImportError(f"--engine ray needs Ray Data: {HOW_TO_INSTALL}") from None
    return ray


def _host_port(address: str):
    bare = address.split("://", 1)[-1].rstrip("/")
    host, sep, port = bare.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"Ray address {address!r}: expected host:port, ray://host:port or auto")
    return host.strip("[]"), int(port)


def connect(address: Optional[str] = None, *, num_cpus: Optional[int] = None,
            connect_timeout: float = DEFAULT_CONNECT_TIMEOUT) -> bool:
    """Connect to a Ray cluster, or start a local one; nothing if Ray is already initialised.

    address (Optional[str]): host:port (the head's GCS port, 6379 by default), ray://host:port
        (Ray Client), "auto" (the cluster started on this machine), or None for a new local one.
    num_cpus (Optional[int]): CPUs of a new local cluster (None: all).
    connect_timeout (float): seconds to wait for address to answer.
    RETURNS (bool): whether this call initialised Ray (and should shut it down).
    """
    ray = require_ray()
    # an explicit address is checked even when Ray is up: a typo must not pass unnoticed
    if address and address != "auto":
        host, port = _host_port(address)
        try:
            socket.create_connection((host, port), timeout=connect_timeout).close()
        except OSError as err:
            raise ConnectionError(
                f"cannot reach the Ray cluster at {address} ({err.__class__.__name__}: {err}; waited at most "
                f"{connect_timeout:g}s); is `ray start --head` running there, and is the port open?"
            ) from None
    if ray.is_initialized():
        return False
    try:
        ray.init(address=address, num_cpus=num_cpus if not address else None, include_dashboard=False,
                 log_to_driver=False, configure_logging=False)
    except (ConnectionError, RuntimeError, ValueError) as err:
        where = f"the Ray cluster at {address}" if address else "a local Ray cluster"
        raise ConnectionError(f"cannot connect to {where}: {err}") from None
    return True


class PipelineActor:
    """One pipeline per Ray actor, unpickled from the driver's once.

    data (bytes): the pickled pipeline (or an ObjectRef to it).
    batch_size (int): nlp.pipe's batch size.
    before_batch (Optional[Callable[[List[str]], None]]): called with each batch's texts
        first (tests use it to kill a worker).
    """

    def __init__(self, data: bytes, batch_size: int, before_batch: Optional[Callable] = None):
        import ray

        if isinstance(data, ray.ObjectRef):  # Ray Data hands constructor args over unresolved
            data = ray.get(data)
        self.nlp = pickle.loads(data)
        self.batch_size = batch_size
        self.before_batch = before_batch

    def __call__(self, batch: Dict[str, Any]) -> Dict[str, Any]:
        import numpy

        records = [InputRecord(int(o), str(i), str(t)) for o, i, t in zip(batch["ordinal"], batch["id"], batch["text"])]
        if self.before_batch is not None:
            self.before_batch([r.text for r in records])
        out = annotate_batch(self.nlp, records, self.batch_size)
        # plain JSON strings travel through Arrow blocks without a nested schema to agree on
        return {"ordinal": numpy.array([o for o, _ in out], dtype="int64"),
                "record": numpy.array([json.dumps(r, ensure_ascii=False) for _, r in out], dtype=object)}


class RayEngine:
    """Annotate on Ray: a local cluster, or an existing one with address.

    nlp (Language): the loaded pipeline (shipped to the workers).
    batch_size (int): documents per Ray task and per nlp.pipe batch.
    num_workers (int): pipeline actors.
    address (Optional[str]): see connect().
    connect_timeout (float): see connect().
    before_batch (Optional[Callable[[List[str]], None]]): see PipelineActor (tests).
    """

    name = "ray"

    def __init__(self, nlp: Language, *, batch_size: int = 64, num_workers: int = DEFAULT_WORKERS,
                 address: Optional[str] = None, connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
                 before_batch: Optional[Callable] = None):
        if num_workers < 1:
            raise ValueError(f"--num-workers must be at least 1, got {num_workers}")
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.before_batch = before_batch
        self._started = connect(address, connect_timeout=connect_timeout)
        ray = require_ray()
        self._pipeline = ray.put(pickle.dumps(nlp, protocol=pickle.HIGHEST_PROTOCOL))

    def __call__(self, records: Iterable[InputRecord]) -> Iterator[Annotated]:
        """YIELDS (Annotated): the annotated records, in input order."""
        ray = require_ray()
        items = [{"ordinal": r.ordinal, "id": r.doc_id, "text": r.text} for r in records]
        if not items:
            return
        ctx = ray.data.DataContext.get_current()
        ctx.execution_options.preserve_order = True
        ctx.enable_progress_bars = False  # annotate_corpus shows one bar for the whole run
        # about one block per batch: the actors pick up work in batch-sized pieces
        n_blocks = max(1, min(-(-len(items) // self.batch_size), MAX_BLOCKS))
        dataset = ray.data.from_items(items, override_num_blocks=n_blocks).map_batches(
            PipelineActor,
            fn_constructor_args=(self._pipeline, self.batch_size, self.before_batch),
            batch_size=self.batch_size,
            # no more actors than blocks: an idle actor would only cost its start-up
            compute=ray.data.ActorPoolStrategy(size=min(self.num_workers, n_blocks)),
            num_cpus=1,
        )
        logger.info("ray: %d records, %d actors, batches of %d", len(items), self.num_workers, self.batch_size)
        for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
            for ordinal, record in zip(batch["ordinal"], batch["record"]):
                yield int(ordinal), json.loads(record)

    def close(self) -> None:
        if self._started:
            require_ray().shutdown()
            self._started = False
