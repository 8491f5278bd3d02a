"""Input signatures that let a looping project command skip the runs that are already done.

weasel re-runs a whole command when any of its deps change; inside it, a run whose inputs have
the same signature as last time is skipped, and one whose inputs changed is redone from scratch.
Files are hashed by content; large directories (encoders, models) by their run.json signature
when they have one, otherwise by file names, sizes and modification times (hashing 500 MB of
weights for every run would cost more than it saves).
"""
import hashlib
import json
from pathlib import Path
from typing import Any, Optional, Union

import srsly

RUN_INFO = "run.json"


def file_md5(path: Union[str, Path]) -> Optional[str]:
    """MD5 of a file's content, or None when it does not exist."""
    path = Path(path)
    if not path.is_file():
        return None
    digest = hashlib.md5()
    with path.open("rb") as fileh:
        for chunk in iter(lambda: fileh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def dir_stamp(path: Union[str, Path]) -> Optional[str]:
    """Cheap identity of a directory: its own signature if a run wrote one, else a stat hash.

    path (Union[str, Path]): a model or encoder directory (a model-best's run folder is checked too).
    RETURNS (Optional[str]): the stamp, or None when the directory does not exist.
    """
    path = Path(path)
    if not path.exists():
        return None
    for info in (path / RUN_INFO, path.parent / RUN_INFO):
        if info.is_file():
            sig = srsly.read_json(info).get("signature")
            if sig:
                return sig
    if path.is_file():
        return file_md5(path)
    digest = hashlib.md5()
    for sub in sorted(p for p in path.rglob("*") if p.is_file()):
        stat = sub.stat()
        digest.update(f"{sub.relative_to(path)}:{stat.st_size}:{stat.st_mtime_ns}".encode("utf8"))
    return digest.hexdigest()


def signature(**parts: Any) -> str:
    """Hash of JSON-serialisable parts (sorted keys, so the order of arguments is irrelevant)."""
    return hashlib.md5(json.dumps(parts, sort_keys=True, default=str).encode("utf8")).hexdigest()


def read_run_info(output: Union[str, Path]) -> dict:
    path = Path(output) / RUN_INFO
    return srsly.read_json(path) if path.is_file() else {}
