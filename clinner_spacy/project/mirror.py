"""Offline-first corpus assets: resolve project.yml's pinned upstream corpora from a mirror.

project.yml lists each corpus as an asset: its upstream repository and pinned commit, the
GitHub archive URL of that commit (so `spacy project assets --extra` can download it where there
is network), and the files the project reads. `clinner fetch-corpora` resolves each asset:
1. from the mirror directory (var data_mirror; ../shared/data here), laid out as
   <mirror>/<asset.mirror>/<path inside the upstream repository>;
2. else from the downloaded archive at the asset's dest (the files are unpacked);
and verifies every file against the committed SHA-256 manifest (corpora.sha256) before linking
the corpus folder into assets/corpora/, the --data-dir of `clinner convert`. If neither source
is there, the error says where to get the data.
"""
import fnmatch
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

import srsly

from .manifest import read_manifest, verify


class CorpusAssetError(RuntimeError):
    """A corpus asset is missing or differs from the manifest; the message says what to do."""


@dataclass
class CorpusAsset:
    """One upstream corpus as listed in project.yml's assets."""

    name: str
    repo: str
    commit: str
    mirror: str  # the folder inside the mirror and inside assets/corpora
    files: List[str]  # glob patterns relative to the upstream repository root
    dest: str = ""  # where `spacy project assets --extra` puts the archive
    url: str = ""
    license: str = ""
    description: str = ""
    note: str = ""

    def instructions(self, mirror_dir: Union[str, Path]) -> str:
        lines = [
            f"Corpus {self.name!r} ({self.license}): {self.repo} at commit {self.commit}.",
            f"  Either copy these upstream paths into {Path(mirror_dir) / self.mirror}/:",
            *[f"    {pattern}" for pattern in self.files],
            f"  e.g. git clone {self.repo} && git -C {self.repo.rstrip('/').split('/')[-1]} checkout {self.commit}",
            f"  or, with network: `spacy project assets . --extra` (downloads {self.url} to {self.dest}),",
            "  then run `clinner fetch-corpora` again.",
        ]
        if self.note:
            lines.append(f"  Note: {self.note}")
        return "\n".join(lines)


def load_assets(project_dir: Union[str, Path] = ".") -> List[CorpusAsset]:
    """Read the corpus assets (those with `repo` and `commit`) from project.yml.

    project_dir (Union[str, Path]): the project folder.
    RETURNS (List[CorpusAsset]): the assets, in file order.
    """
    data = srsly.read_yaml(Path(project_dir) / "project.yml")
    out = []
    for i, entry in enumerate(data.get("assets", [])):
        if "repo" not in entry or "commit" not in entry:
            continue
        missing = [key for key in ("name", "mirror", "files") if key not in entry]
        if missing:
            raise ValueError(f"{Path(project_dir) / 'project.yml'}: assets[{i}] lacks {missing}")
        known = {k: entry.get(k, "") for k in ("dest", "url", "license", "description", "note")}
        out.append(CorpusAsset(name=entry["name"], repo=entry["repo"], commit=str(entry["commit"]),
                               mirror=entry["mirror"], files=list(entry["files"]), **known))
    return out


def unpack_archive(asset: CorpusAsset, archive: Path, target: Path) -> int:
    """Unpack the asset's files from a GitHub archive (<repo>-<commit>/...) into target."""
    count = 0
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            rel = member.name.split("/", 1)[1] if "/" in member.name else ""
            if member.isfile() and rel and any(fnmatch.fnmatch(rel, p) for p in asset.files):
                out = target / rel
                out.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as src:  # type: ignore[union-attr]
                    out.write_bytes(src.read())
                count += 1
    return count


def fetch_corpora(
    *,
    project_dir: Union[str, Path] = ".",
    mirror_dir: Union[str, Path],
    manifest_path: Union[str, Path],
    output_dir: Union[str, Path],
    names: Optional[Sequence[str]] = None,
) -> List[Dict[str, object]]:
    """Resolve, verify and link the corpus assets into output_dir (see module docstring).

    project_dir (Union[str, Path]): the project folder (with project.yml).
    mirror_dir (Union[str, Path]): the offline mirror (../shared/data).
    manifest_path (Union[str, Path]): the committed SHA-256 manifest.
    output_dir (Union[str, Path]): where the corpora are linked (assets/corpora).
    names (Optional[Sequence[str]]): only these assets (default: all).
    RETURNS (List[Dict[str, object]]): per asset: name, source used, files verified.
    RAISES (CorpusAssetError): an asset is unavailable or differs from the manifest.
    """
    project_dir, mirror_dir, output_dir = Path(project_dir), Path(mirror_dir), Path(output_dir)
    assets = load_assets(project_dir)
    unknown = sorted(set(names or []) - {a.name for a in assets})
    if unknown:
        raise CorpusAssetError(f"unknown corpus assets {unknown}; project.yml lists {[a.name for a in assets]}")
    manifest = read_manifest(manifest_path)
    results = []
    for asset in assets:
        if names and asset.name not in names:
            continue
        link = output_dir / asset.mirror
        archive = project_dir / asset.dest if asset.dest else None
        if link.is_dir() and not link.is_symlink():
            root, source = link, "local copy"  # a user placed the files there by hand
        elif (mirror_dir / asset.mirror).is_dir():
            root, source = mirror_dir / asset.mirror, "mirror"
        elif archive is not None and archive.is_file():
            root, source = output_dir / ".unpacked" / asset.mirror, "archive"
            unpack_archive(asset, archive, root)
        else:
            raise CorpusAssetError(f"{asset.name}: not found in {mirror_dir} nor at {archive}\n"
                                   + asset.instructions(mirror_dir))
        n, problems = verify(asset, root, manifest)
        if problems:
            shown = "\n  ".join(problems[:10]) + (f"\n  ... and {len(problems) - 10} more" if len(problems) > 10 else "")
            raise CorpusAssetError(f"{asset.name}: {len(problems)} of {n} files fail the manifest "
                                   f"{manifest_path}:\n  {shown}\n" + asset.instructions(mirror_dir))
        if root != link:
            link.parent.mkdir(parents=True, exist_ok=True)
            if link.is_symlink():
                link.unlink()
            # a relative link keeps the project folder movable together with its mirror
            os.symlink(os.path.relpath(root.resolve(), link.parent.resolve()), link, target_is_directory=True)
        results.append({"name": asset.name, "source": source, "files": n, "path": str(link)})
    return results
