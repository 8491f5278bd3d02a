"""The committed SHA-256 manifest of the corpus files the project reads (corpora.sha256).

The format is that of `sha256sum`: "<hash>  <mirror folder>/<file>" per line, so
`cd ../shared/data && sha256sum -c ../../main/corpora.sha256` checks a mirror without this package.
"""
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Dict, Iterable, List, Sequence, Tuple, Union

if TYPE_CHECKING:  # pragma: no cover
    from .mirror import CorpusAsset


def matching_files(root: Path, patterns: Sequence[str]) -> List[str]:
    """Relative POSIX paths of the files under root matching any pattern, sorted."""
    found = set()
    for pattern in patterns:
        found.update(p.relative_to(root).as_posix() for p in root.glob(pattern) if p.is_file())
    return sorted(found)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fileh:
        for chunk in iter(lambda: fileh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(path: Union[str, Path]) -> Dict[str, str]:
    """Read a `sha256sum`-format manifest: "<hash>  <asset mirror folder>/<file>" per line."""
    out = {}
    for n, line in enumerate(Path(path).read_text(encoding="utf8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64:
            raise ValueError(f"{path}:{n}: expected '<sha256>  <path>', got {line!r}")
        out[name] = digest
    return out


def write_manifest(assets: Iterable["CorpusAsset"], mirror_dir: Union[str, Path], path: Union[str, Path]) -> int:
    """Hash the files each asset uses in the mirror into a manifest (run once, then commit it).

    RETURNS (int): the number of files listed.
    """
    lines = ["# SHA-256 of the corpus files the project reads; `sha256sum -c` works from the mirror folder."]
    for asset in assets:
        root = Path(mirror_dir) / asset.mirror
        files = matching_files(root, asset.files)
        if not files:
            raise FileNotFoundError(f"no files for {asset.name} in {root}\n" + asset.instructions(mirror_dir))
        lines += [f"{sha256(root / rel)}  {asset.mirror}/{rel}" for rel in files]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf8")
    return len(lines) - 1


def verify(asset: "CorpusAsset", root: Path, manifest: Dict[str, str]) -> Tuple[int, List[str]]:
    """Check an asset's files under root against the manifest.

    RETURNS (Tuple[int, List[str]]): the number of files checked, and the problems found.
    """
    expected = {name[len(asset.mirror) + 1:]: digest for name, digest in manifest.items()
                if name.startswith(asset.mirror + "/")}
    if not expected:
        return 0, [f"the manifest lists no files for {asset.name} ({asset.mirror}/)"]
    problems = []
    for rel, digest in sorted(expected.items()):
        path = root / rel
        if not path.is_file():
            problems.append(f"missing: {path}")
        elif sha256(path) != digest:
            problems.append(f"checksum differs: {path}")
    return len(expected), problems
