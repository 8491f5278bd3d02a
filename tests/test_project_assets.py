"""Corpus assets resolved offline-first: mirror, downloaded archive, checksum failures, instructions."""
import io
import tarfile

import pytest

from clinner_spacy.project.manifest import read_manifest, write_manifest
from clinner_spacy.project.mirror import CorpusAssetError, fetch_corpora, load_assets

PROJECT = """
assets:
  - name: "toy"
    dest: "assets/upstream/toy.tar.gz"
    url: "https://github.com/example/toy/archive/{commit}.tar.gz"
    description: "a toy corpus"
    extra: true
    repo: "https://github.com/example/toy"
    commit: "{commit}"
    license: "CC0"
    mirror: "toy"
    files: ["data/*.txt"]
  - dest: "assets/other.bin"
    description: "not a corpus asset (no repo/commit): ignored"
"""
COMMIT = "a" * 40


@pytest.fixture
def setup(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "project.yml").write_text(PROJECT.format(commit=COMMIT))
    mirror = tmp_path / "mirror"
    (mirror / "toy" / "data").mkdir(parents=True)
    (mirror / "toy" / "data" / "a.txt").write_text("alpha")
    (mirror / "toy" / "data" / "b.txt").write_text("beta")
    (mirror / "toy" / "README.md").write_text("not used")
    manifest = project / "corpora.sha256"
    assert write_manifest(load_assets(project), mirror, manifest) == 2
    return project, mirror, manifest


def test_manifest_lists_used_files_only(setup):
    _, _, manifest = setup
    assert sorted(read_manifest(manifest)) == ["toy/data/a.txt", "toy/data/b.txt"]


def test_bad_manifest_line_is_located(tmp_path):
    path = tmp_path / "m.sha256"
    path.write_text("# comment\nnot-a-hash file\n")
    with pytest.raises(ValueError, match="m.sha256:2"):
        read_manifest(path)


def test_fetch_from_mirror_links(setup):
    project, mirror, manifest = setup
    out = project / "assets" / "corpora"
    [res] = fetch_corpora(project_dir=project, mirror_dir=mirror, manifest_path=manifest, output_dir=out)
    assert res["source"] == "mirror" and res["files"] == 2
    assert (out / "toy").is_symlink() and (out / "toy" / "data" / "a.txt").read_text() == "alpha"
    # idempotent
    fetch_corpora(project_dir=project, mirror_dir=mirror, manifest_path=manifest, output_dir=out)


def test_changed_file_fails_with_instructions(setup):
    project, mirror, manifest = setup
    (mirror / "toy" / "data" / "b.txt").write_text("BETA")
    with pytest.raises(CorpusAssetError) as err:
        fetch_corpora(project_dir=project, mirror_dir=mirror, manifest_path=manifest, output_dir=project / "out")
    text = str(err.value)
    assert "checksum differs" in text and "b.txt" in text
    assert f"git -C toy checkout {COMMIT}" in text and "spacy project assets . --extra" in text


def test_missing_everywhere_explains_upstream(setup, tmp_path):
    project, _, manifest = setup
    with pytest.raises(CorpusAssetError, match="https://github.com/example/toy at commit"):
        fetch_corpora(project_dir=project, mirror_dir=tmp_path / "nowhere", manifest_path=manifest,
                      output_dir=project / "out")


def test_unknown_asset_name(setup):
    project, mirror, manifest = setup
    with pytest.raises(CorpusAssetError, match="unknown corpus assets"):
        fetch_corpora(project_dir=project, mirror_dir=mirror, manifest_path=manifest, output_dir=project / "o",
                      names=["nope"])


def test_fetch_from_downloaded_archive(setup, tmp_path):
    project, mirror, manifest = setup
    archive = project / "assets" / "upstream" / "toy.tar.gz"
    archive.parent.mkdir(parents=True)
    with tarfile.open(archive, "w:gz") as tar:  # GitHub archives have one <repo>-<commit>/ root
        for rel in ("data/a.txt", "data/b.txt", "README.md"):
            payload = (mirror / "toy" / rel).read_bytes()
            info = tarfile.TarInfo(f"toy-{COMMIT}/{rel}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    out = project / "assets" / "corpora"
    [res] = fetch_corpora(project_dir=project, mirror_dir=tmp_path / "no-mirror", manifest_path=manifest,
                          output_dir=out)
    assert res["source"] == "archive"
    assert (out / "toy" / "data" / "b.txt").read_text() == "beta"
    assert not (out / "toy" / "README.md").exists()  # only the files the project reads
