"""`clinner annotate` on the local engine: formats, offsets, bad input, resumable shards (issue 12)."""
import contextlib
import json

import pytest
import spacy
from typer.testing import CliRunner

from clinner_spacy.annotate.io import read_output
from clinner_spacy.annotate.run import annotate_corpus
from clinner_spacy.cli.app import load_commands

TEXTS = [f"Patient {i} has fever{' and cough' * (i % 3)}, took aspirin." for i in range(7)]


def ruler_nlp():
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns([
        {"label": "DISORDER", "pattern": "fever"}, {"label": "DISORDER", "pattern": "cough"},
        {"label": "DRUG", "pattern": "aspirin"},
    ])
    return nlp


@pytest.fixture(scope="module")
def ruler(tmp_path_factory):
    path = tmp_path_factory.mktemp("annotate_model") / "ruler"
    ruler_nlp().to_disk(path)
    return path


def write_jsonl(path, texts=TEXTS, extra_lines=()):
    lines = [json.dumps({"id": f"d{i}", "text": t}) for i, t in enumerate(texts)] + list(extra_lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(*args):
    result = CliRunner().invoke(load_commands(), ["annotate", *[str(a) for a in args]])
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.output
    return result, " ".join(result.output.split())


def test_jsonl_offsets_and_ids(ruler, tmp_path):
    out = tmp_path / "out.jsonl"
    result, text = run(write_jsonl(tmp_path / "in.jsonl"), ruler, out)
    assert result.exit_code == 0, text
    records = read_output(out)
    assert [r["id"] for r in records] == [f"d{i}" for i in range(7)]
    for record in records:
        assert record["entities"] and all(record["text"][e["start"]:e["end"]] == e["text"] for e in record["entities"])
    assert records[2]["entities"][1] == {"start": 24, "end": 29, "label": "DISORDER", "text": "cough"}
    assert "7 docs, 20 entities" in text and "docs/s" in text


def test_txt_one_document_per_line(ruler, tmp_path):
    source = tmp_path / "notes.txt"
    source.write_bytes(b"fever here\r\n\r\n  aspirin given \n")
    out = tmp_path / "out.jsonl"
    assert run(source, ruler, out)[0].exit_code == 0
    records = read_output(out)
    assert [r["id"] for r in records] == ["notes:1", "notes:3"]
    assert records[1]["text"] == "  aspirin given " and records[1]["entities"][0]["start"] == 2


def test_never_overwrites_without_force(ruler, tmp_path):
    source, out = write_jsonl(tmp_path / "in.jsonl"), tmp_path / "out.jsonl"
    out.write_text("keep\n")
    result, text = run(source, ruler, out)
    assert result.exit_code == 1 and "--force" in text and out.read_text() == "keep\n"
    assert run(source, ruler, out, "--force")[0].exit_code == 0 and len(read_output(out)) == 7
    result, text = run(source, ruler, source, "--force")
    assert result.exit_code == 1 and "also an input" in text


def test_bad_records_name_file_and_line(ruler, tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", TEXTS[:2], ['{"id": "x", "text": broken', '{"id": "y", "body": "fever"}'])
    out = tmp_path / "out.jsonl"
    result, text = run(source, ruler, out)
    assert result.exit_code == 1 and f"{source}:line 3: invalid JSON" in text and not out.exists()
    result, text = run(source, ruler, out, "--skip-invalid", "--summary", tmp_path / "summary.json")
    assert result.exit_code == 0, text
    assert "2 invalid record(s) skipped" in text and "in.jsonl:line 4: expected an object with a \"text\" string" in text
    assert len(read_output(out)) == 2
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["skipped"] == 2 and len(summary["skips"]) == 2


def test_memory_zone_around_every_batch(tmp_path):
    nlp, zones = ruler_nlp(), []
    real = nlp.memory_zone

    @contextlib.contextmanager
    def counting_zone():
        zones.append(1)
        with real():
            yield

    nlp.memory_zone = counting_zone
    summary = annotate_corpus(input_path=write_jsonl(tmp_path / "in.jsonl"), model=nlp, output=tmp_path / "o.jsonl",
                              batch_size=3, show_progress=False)
    assert summary["docs"] == 7 and len(zones) == 3  # 7 documents in batches of 3


def test_shards_resume_and_match_one_file(ruler, tmp_path):
    source, shards = write_jsonl(tmp_path / "in.jsonl"), tmp_path / "shards"
    assert run(source, ruler, tmp_path / "whole.jsonl")[0].exit_code == 0
    result, text = run(source, ruler, shards, "--shard-size", "3")
    assert result.exit_code == 0 and "3 shards written, 0 already complete" in text
    parts = sorted(shards.glob("part-*.jsonl"))
    assert [p.name for p in parts] == ["part-00000.jsonl", "part-00001.jsonl", "part-00002.jsonl"]
    assert [r for p in parts for r in read_output(p)] == read_output(tmp_path / "whole.jsonl")
    before = {p.name: p.read_bytes() for p in parts}
    # a run killed in shard 1: no part-00001 under its final name, a temporary one left behind
    parts[1].unlink()
    (shards / ".part-00001.jsonl.tmp-999").write_text("half")
    mtime = parts[0].stat().st_mtime_ns
    result, text = run(source, ruler, shards, "--shard-size", "3")
    assert result.exit_code == 0 and "1 shards written, 2 already complete" in text and "3 docs" in text
    assert {p.name: p.read_bytes() for p in sorted(shards.glob("part-*.jsonl"))} == before
    assert parts[0].stat().st_mtime_ns == mtime and not list(shards.glob(".part-*"))
    # another shard size (or input, or model) does not mix with these parts without --force
    result, text = run(source, ruler, shards, "--shard-size", "2")
    assert result.exit_code == 1 and "shard_size differ" in text
    assert run(source, ruler, shards, "--shard-size", "2", "--force")[0].exit_code == 0
    assert len(list(shards.glob("part-*.jsonl"))) == 4


def test_parquet_in_and_out(ruler, tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    source = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": ["a", "b"], "text": ["fever", None]}), str(source))
    result, text = run(source, ruler, tmp_path / "o.parquet")
    assert result.exit_code == 1 and f"{source}:row 2" in text
    result, text = run(source, ruler, tmp_path / "o.parquet", "--skip-invalid")
    assert result.exit_code == 0, text
    assert read_output(tmp_path / "o.parquet") == [
        {"id": "a", "text": "fever", "entities": [{"start": 0, "end": 5, "label": "DISORDER", "text": "fever"}]}
    ]


def test_checks_before_the_pipeline_loads(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl")
    result, text = run(source, tmp_path / "no-model", tmp_path / "o.jsonl")
    assert result.exit_code == 1 and "cannot load the pipeline" in text
    result, text = run(tmp_path / "missing.jsonl", tmp_path / "no-model", tmp_path / "o.jsonl")
    assert result.exit_code == 1 and "annotate input not found" in text
    result, text = run(source, tmp_path / "no-model", tmp_path / "o.jsonl", "--address", "localhost:1")
    assert result.exit_code == 1 and "--address apply to --engine ray" in text
