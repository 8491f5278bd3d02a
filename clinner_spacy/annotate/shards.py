"""Resumable output by input shard: out_dir/part-00000.jsonl, part-00001.jsonl, ...

Shard k holds the input records with ordinal k*shard_size .. (k+1)*shard_size - 1 (io.py:
invalid records count, so --skip-invalid does not move the boundaries). A shard is complete
exactly when its file exists under its final name: io.write_records writes it under a
temporary name and renames it, so a run killed mid-shard leaves no part file, and the rerun
redoes only that shard and the ones after it.

out_dir/annotate.json (the manifest) records what the parts were made from: the input's size
and hash, the pipeline, the shard size and format. A rerun with anything else refuses to mix
old and new parts unless force, which removes the old ones first.
"""
import hashlib
import json
from pathlib import Path
from typing import Any, Dict, List, Union

MANIFEST = "annotate.json"
PART_PREFIX = "part-"


def part_path(out_dir: Union[str, Path], shard: int, fmt: str) -> Path:
    """RETURNS (Path): out_dir/part-<shard, 5 digits>.<fmt>."""
    return Path(out_dir) / f"{PART_PREFIX}{shard:05d}.{fmt}"


def file_digest(path: Union[str, Path]) -> str:
    """RETURNS (str): "sha256:<hex>" of the file (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return f"sha256:{digest.hexdigest()}"


def our_files(out_dir: Path) -> List[Path]:
    """RETURNS (List[Path]): the parts, temporary parts and manifest in out_dir (nothing else)."""
    if not out_dir.is_dir():
        return []
    return sorted(
        p for p in out_dir.iterdir()
        if p.is_file() and (p.name == MANIFEST or p.name.startswith(PART_PREFIX) or p.name.startswith(f".{PART_PREFIX}"))
    )


def prepare_out_dir(out_dir: Union[str, Path], manifest: Dict[str, Any], *, force: bool = False) -> Path:
    """Make out_dir ready: new, resumed (same manifest), or cleared (force).

    out_dir (Union[str, Path]): the shard folder.
    manifest (Dict[str, Any]): what this run's parts are made from.
    force (bool): remove parts made from something else instead of refusing.
    RETURNS (Path): out_dir.
    """
    out_dir = Path(out_dir)
    manifest_path = out_dir / MANIFEST
    existing = our_files(out_dir)
    if existing and not force:
        if not manifest_path.exists():
            raise FileExistsError(
                f"{out_dir} holds part files but no {MANIFEST}: not a `clinner annotate` output; "
                "pass --force to replace its parts"
            )
        try:
            old = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise FileExistsError(f"{manifest_path}: unreadable ({err}); pass --force to start over") from None
        differs = sorted(k for k in set(old) | set(manifest) if old.get(k) != manifest.get(k))
        if differs:
            raise FileExistsError(
                f"{out_dir} was written from another run ({', '.join(differs)} differ, see {manifest_path}); "
                "pass --force to remove its parts and start over, or choose another output folder"
            )
    if force:
        for p in existing:
            p.unlink()
    out_dir.mkdir(parents=True, exist_ok=True)
    for p in out_dir.glob(f".{PART_PREFIX}*"):  # leftovers of a killed run: never complete
        p.unlink()
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return out_dir
