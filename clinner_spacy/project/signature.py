"""Input signatures that let a looping project command skip the runs that are already done.

weasel re-runs a whole command when any of its deps change; inside it, a run whose inputs have
the same signature as last time is skipped, and one whose inputs changed is redone from scratch.
Files are hashed by content; large directories (encoders, models) by their run.json signature
when they have one, otherwise by file names, sizes and modification times (hashing 500 MB of
weights for every run would cost more than it saves). Every run and evaluation signature also
holds code_stamp(): the package code that shapes a model or a score, and the installed versions
of the libraries under it, so a change of code redoes what it may have changed.
"""
import hashlib
import json
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, Dict, Iterable, Optional, Union

import srsly

RUN_INFO = "run.json"
PACKAGE_DIR = Path(__file__).resolve().parent.parent
# The package code that shapes a training run or an evaluation, relative to clinner_spacy/.
# Left out on purpose: cli/, reporting/ and packaging/ (they present or ship results; their
# project commands list their own code deps), project/mirror.py, manifest.py and translate.py
# (their outputs are data, hashed by content), about.py and progress.py. A new subpackage
# that models, trains or scores belongs here.
CODE_PARTS = (
    "corpora", "dialogue", "evaluation", "models", "pipeline", "projection", "training", "translate",
    "docbins.py", "schema.py", "util.py",
    "project/evaluate.py", "project/plan.py", "project/runner.py", "project/signature.py",
    "project/source_data.py",
)
# The libraries whose version changes what a run learns or how a model predicts.
CODE_LIBRARIES = ("spacy", "thinc", "spacy-transformers", "torch", "transformers")


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


def code_files(root: Union[str, Path], parts: Iterable[str] = CODE_PARTS) -> Dict[str, str]:
    """MD5 of every Python file among parts of a package directory.

    root (Union[str, Path]): the package directory (clinner_spacy/ or a copy of it).
    parts (Iterable[str]): subpackages and modules, relative to root; missing ones are skipped.
    RETURNS (Dict[str, str]): relative path (POSIX) -> MD5 of its content, sorted by path.
    """
    root = Path(root)
    found = {}
    for part in parts:
        path = root / part
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path] if path.is_file() else []
        for file in files:
            if "__pycache__" not in file.parts:
                found[file.relative_to(root).as_posix()] = file_md5(file)
    return dict(sorted(found.items()))


def library_versions(names: Iterable[str] = CODE_LIBRARIES) -> Dict[str, Optional[str]]:
    """Installed versions of the named distributions (None for one that is not installed)."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def code_hash(root: Union[str, Path] = PACKAGE_DIR, parts: Iterable[str] = CODE_PARTS) -> str:
    """Hash of the code that shapes a run or an evaluation: file contents and library versions.

    root (Union[str, Path]): the package directory.
    parts (Iterable[str]): subpackages and modules of root that count.
    RETURNS (str): the hash.
    """
    return signature(files=code_files(root, parts), libraries=library_versions())


@lru_cache(maxsize=1)
def code_stamp() -> str:
    """code_hash() of this installed package, computed once per process.

    Once: a long project command that edits nothing would otherwise re-read the package for
    every run, and a file edited while it runs should not make its later runs disagree.
    """
    return code_hash()


def read_run_info(output: Union[str, Path]) -> dict:
    path = Path(output) / RUN_INFO
    return srsly.read_json(path) if path.is_file() else {}
