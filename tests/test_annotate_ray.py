"""`clinner annotate --engine ray`: the same output as the local engine, a worker killed
mid-run, an unreachable --address (issue 12). One local Ray instance for the session (conftest.py)."""
import json
import os
import sys
import time

import pytest
from typer.testing import CliRunner

from clinner_spacy.annotate.io import read_output
from clinner_spacy.annotate.run import annotate_corpus
from clinner_spacy.cli.app import load_commands

ray = pytest.importorskip("ray")
pytest.importorskip("ray.data")

TEXTS = [f"Patient {i} has fever{' and cough' * (i % 3)}, took aspirin." for i in range(23)]


@pytest.fixture(scope="module")
def ruler(tmp_path_factory):
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns([
        {"label": "DISORDER", "pattern": "fever"}, {"label": "DISORDER", "pattern": "cough"},
        {"label": "DRUG", "pattern": "aspirin"},
    ])
    path = tmp_path_factory.mktemp("ray_model") / "ruler"
    nlp.to_disk(path)
    return path


@pytest.fixture()
def source(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps({"id": f"d{i}", "text": t}) + "\n" for i, t in enumerate(TEXTS)), encoding="utf-8")
    return path


def _annotate(source, ruler, output, **options):
    return annotate_corpus(input_path=source, model=ruler, output=output, batch_size=4, show_progress=False, **options)


def test_ray_output_is_the_local_output(ray_local, ruler, source, tmp_path):
    _annotate(source, ruler, tmp_path / "local.jsonl")
    summary = _annotate(source, ruler, tmp_path / "ray.jsonl", engine="ray", engine_options={"num_workers": 2})
    assert summary["docs"] == len(TEXTS) and summary["engine"] == "ray"
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    # shards made by Ray, resumed by the local engine: the manifest does not name the engine
    shards = tmp_path / "shards"
    _annotate(source, ruler, shards, shard_size=10, engine="ray", engine_options={"num_workers": 2})
    (shards / "part-00002.jsonl").unlink()
    again = _annotate(source, ruler, shards, shard_size=10)
    assert again["shards_written"] == 1 and again["docs"] == 3
    merged = [r for p in sorted(shards.glob("part-*.jsonl")) for r in read_output(p)]
    assert merged == read_output(tmp_path / "local.jsonl")


def _kill_once(marker):
    def before_batch(texts):
        # the first worker to see document 13 dies; its restarted successor finds the marker
        if any(t.startswith("Patient 13 ") for t in texts) and not os.path.exists(marker):
            open(marker, "w").close()
            os._exit(1)

    return before_batch


def test_a_killed_worker_is_restarted_and_its_batch_retried(ray_local, ruler, source, tmp_path):
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the hook travels by value
    marker = tmp_path / "killed"
    _annotate(source, ruler, tmp_path / "local.jsonl")
    summary = _annotate(source, ruler, tmp_path / "ray.jsonl", engine="ray",
                        engine_options={"num_workers": 2, "before_batch": _kill_once(str(marker))})
    assert marker.exists(), "no worker was killed: the test did not test anything"
    assert summary["docs"] == len(TEXTS)
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()


def test_unreachable_address_is_an_error_naming_it(ruler, source, tmp_path):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # only a closed local port: whether a remote test address times out or is answered by a
    # proxy depends on the machine's network, which a test must not
    for address in (f"127.0.0.1:{port}", f"ray://127.0.0.1:{port}"):
        start = time.perf_counter()
        result = CliRunner().invoke(load_commands(), [
            "annotate", str(source), str(ruler), str(tmp_path / "o.jsonl"), "--engine", "ray",
            "--address", address, "--connect-timeout", "1",
        ])
        text = " ".join(result.output.split())
        assert result.exit_code == 1 and f"cannot reach the Ray cluster at {address}" in text, text
        assert time.perf_counter() - start < 10 and not (tmp_path / "o.jsonl").exists()
    result = CliRunner().invoke(load_commands(), [
        "annotate", str(source), str(ruler), str(tmp_path / "o.jsonl"), "--engine", "ray", "--address", "nohost",
    ])
    assert result.exit_code == 1 and "expected host:port" in result.output
