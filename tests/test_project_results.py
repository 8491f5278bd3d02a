"""The results generator on synthetic metrics files: tables, intervals, gains, plot, provenance."""
import numpy
import pytest
import srsly

from clinner_spacy.reporting.collect import aggregate, paired_gain, read_metrics_dir, read_record
from clinner_spacy.reporting.results import write_results
from clinner_spacy.reporting.tables import transfer_table

DOCS = [f"D{i}" for i in range(12)]


def _metrics(tp, fp, fn, arm, lang, k=None, seed=1, n_docs=None):
    """A metrics dict like project/evaluate.py writes: per-doc counts -> micro scores."""
    counts = numpy.array([tp, fp, fn]).T
    t, f_, n = counts.sum(axis=0)
    p, r = t / (t + f_), t / (t + n)
    f = 2 * p * r / (p + r)
    return {
        "strict": {"micro": {"p": p, "r": r, "f": f},
                   "per_label": {"ANATOMY": {"p": p, "r": r, "f": f - 0.05, "support": 40},
                                 "DISORDER": {"p": p, "r": r, "f": f + 0.05, "support": 60}}},
        "bootstrap": {"low": f - 0.04, "high": f + 0.04},
        "n_docs": len(tp),
        "doc_counts": {"doc_ids": DOCS, "tp_fp_fn": counts.tolist()},
        "run": {"arm": arm, "lang": lang, "k": k, "seed": seed, **({"n_docs": n_docs} if n_docs else {})},
    }


@pytest.fixture
def metrics_dir(tmp_path):
    rng = numpy.random.default_rng(0)
    root = tmp_path / "metrics" / "quick"

    def write(name, lang, quality, **run):
        tp = rng.integers(int(8 * quality), int(10 * quality) + 1, size=len(DOCS))
        fp = rng.integers(1, 4, size=len(DOCS))
        fn = rng.integers(1, 4, size=len(DOCS))
        path = root / lang / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path, _metrics(tp, fp, fn, lang=lang, **run))

    write("source_s1", "en", 1.0, arm="source")
    for lang in ("es", "fr"):
        write("zero_shot_s1", lang, 0.3, arm="zero_shot")
        write("transfer_s1", lang, 0.6, arm="transfer")
        for k, q in (("10", 0.5), ("all", 0.8)):
            write(f"target_only_k{k}_s1", lang, q, arm="target_only", k=k, n_docs=29 if k == "all" else 10)
            write(f"transfer_k_k{k}_s1", lang, q + 0.3, arm="transfer_k", k=k, n_docs=29 if k == "all" else 10)
    return root


def test_read_record_from_file_name_only(tmp_path):
    path = tmp_path / "es" / "transfer_k_k10_s2.json"
    path.parent.mkdir()
    srsly.write_json(path, {"strict": {"micro": {"p": 0.5, "r": 0.5, "f": 0.5}}})
    rec = read_record(path)
    assert (rec.lang, rec.arm, rec.k, rec.seed, rec.f) == ("es", "transfer_k", "10", 2, 0.5)


def test_bad_file_name_is_named(tmp_path):
    path = tmp_path / "es" / "whatever.json"
    path.parent.mkdir()
    srsly.write_json(path, {})
    with pytest.raises(ValueError, match="whatever.json"):
        read_record(path)


def test_paired_gain_is_difference_and_interval_contains_it(metrics_dir):
    recs = read_metrics_dir(metrics_dir)
    ours = [r for r in recs if (r.lang, r.arm, r.k) == ("es", "transfer_k", "10")]
    base = [r for r in recs if (r.lang, r.arm, r.k) == ("es", "target_only", "10")]
    gain, low, high = paired_gain(ours, base)
    assert gain == pytest.approx(ours[0].f - base[0].f)
    assert low <= gain <= high
    assert gain > 0  # the synthetic transferred arm is better by construction


def test_aggregate_pools_seeds(metrics_dir):
    rec = read_metrics_dir(metrics_dir)[0]
    other = read_record(rec.path)
    other.seed, other.f = 2, rec.f - 0.1
    cell = aggregate([rec, other])
    assert cell.n_seeds == 2 and cell.sd > 0
    assert cell.f == pytest.approx(rec.f - 0.05)
    assert cell.low <= cell.high


def test_transfer_table_rows(metrics_dir):
    table = transfer_table(read_metrics_dir(metrics_dir), ["es", "fr"])
    rows = table.splitlines()[2:]
    assert len(rows) == 4  # es and fr, k in 10 and all
    assert rows[1].startswith("| es | all (29 docs) |")
    assert "[" in rows[0] and "+" in rows[0].split("|")[5]


def test_write_results_page_and_plot(metrics_dir, tmp_path):
    report = tmp_path / "es.report.json"
    srsly.write_json(report, {"src_lang": "es", "tgt_lang": "en", "translator": {"name": "apertium"}, "docs": 29,
                              "sentences": 400, "entities": 700, "placed": 680, "placed_share": 0.9714,
                              "by_method": {"marker": 600, "fallback-exact": 80, "lost": 20}})
    out, png = tmp_path / "docs" / "results.md", tmp_path / "docs" / "learning_curve.png"
    info = write_results(metrics_dir=metrics_dir, output=out, plot=png, projection_reports=[report],
                         profile="quick", command="spacy project run all . --vars.profile quick",
                         date="2026-11-22", machine="2-core CPU, 24 GiB, no GPU")
    text = out.read_text()
    assert info["targets"] == ["es", "fr"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for needle in ("2026-11-22", "2-core CPU, 24 GiB, no GPU", "--vars.profile quick", "84.2 -> 94.7",
                   "87.3 -> 92.8", "82.1 -> 86.4", "Apertium", "e5-small", "## Transfer table",
                   "## Per-label scores", "DISORDER F1", "(learning_curve.png)", "97.1%", "fallback-exact"):
        assert needle in text, needle


def test_missing_metrics_dir_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="evaluate-arms"):
        read_metrics_dir(tmp_path / "nope")


def test_results_cli(metrics_dir, tmp_path):
    from typer.testing import CliRunner

    from clinner_spacy.cli.app import app, load_commands

    load_commands()
    out = tmp_path / "r.md"
    result = CliRunner().invoke(app, ["results", "--metrics-dir", str(metrics_dir), "--output", str(out),
                                      "--plot", str(tmp_path / "p.png"), "--date", "2026-11-22"])
    assert result.exit_code == 0, result.output
    assert "2026-11-22" in out.read_text() and (tmp_path / "p.png").exists()
    bad = CliRunner().invoke(app, ["results", "--metrics-dir", str(tmp_path), "--output", str(out)])
    assert bad.exit_code == 1 and "no metrics files" in " ".join(bad.output.split())  # wasabi wraps lines


def test_dialogue_section_is_apart_and_says_dev(metrics_dir, tmp_path):
    """Dialogue metrics get their own table (scored on dev, with gains over target-only), not a row
    of the E3C transfer table; the threshold sweep that chose self-training's threshold is shown."""
    rng = numpy.random.default_rng(1)
    for name, arm, k, q in (("zero_shot_s1", "zero_shot", None, 0.2), ("zero_shot_guard_s1", "zero_shot_guard", None, 0.25),
                            ("target_only_kall_s1", "target_only", "all", 0.5), ("transfer_k_kall_s1", "transfer_k", "all", 0.7),
                            ("self_training_s1", "self_training", None, 0.75)):
        tp = rng.integers(int(8 * q), int(10 * q) + 1, size=len(DOCS))
        data = _metrics(tp, rng.integers(1, 4, len(DOCS)), rng.integers(1, 4, len(DOCS)), arm, "dialogue", k=k)
        data["strict"]["macro"] = {"f": 0.123}
        path = metrics_dir / "dialogue" / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path, data)
    sweep = tmp_path / "threshold.json"
    row = {"units_kept": 5, "units": 10, "kept_share": 0.5, "tp": 4, "fp": 1, "fn": 1, "p": 0.8, "r": 0.8, "f": 0.8}
    srsly.write_json(sweep, {"seeds": {"1": {"rows": [dict(row, threshold=0.9)], "all_units": dict(row, threshold=None),
                                             "chosen": 0.9, "rule": "best kept-unit strict F1"}}})
    out, png = tmp_path / "results.md", tmp_path / "lc.png"
    info = write_results(metrics_dir=metrics_dir, output=out, plot=png, dialogue_threshold=sweep,
                         dialogue_labels=["DISORDER", "ANATOMY"], date="2026-11-22", machine="m")
    text = out.read_text()
    assert info["targets"] == ["es", "fr", "dialogue"]
    transfer_part = text.split("## Transfer table")[1].split("##")[0]
    assert "| dialogue |" not in transfer_part
    dialogue = text.split("## Dialogue")[1].split("## Every arm")[0]
    assert "gold dev set" in dialogue and "optimistic" in dialogue
    for arm in ("zero-shot: the written-text", "speaker guard", "target-only: k gold", "transferred: the source",
                "self-training: transferred"):
        assert arm in dialogue, arm
    assert "12.3" in dialogue and "DISORDER F1" in dialogue and "(chosen)" in dialogue
    self_row = next(line for line in dialogue.splitlines() if line.startswith("| self-training"))
    assert self_row.rstrip().endswith("] |") and "+" in self_row.split("|")[-2]  # a paired gain over target-only


def test_ladtl_and_translate_test_tables():
    """The La-DTL table pairs mixed + MMD with its control; translate-test joins the no-target table."""
    import numpy

    from clinner_spacy.reporting.collect import Record
    from clinner_spacy.reporting.tables import ladtl_table, no_target_table

    ids = [f"d{i}" for i in range(4)]

    def rec(arm, k, tp):
        counts = numpy.array([[tp, 2, 2]] * 4, dtype=float)
        f = tp / (tp + 2.0)
        return Record("es", arm, k, 1, f, f, f, doc_ids=ids, counts=counts)

    records = [rec("transfer_mix", "10", 4), rec("transfer_mmd", "10", 6), rec("transfer_k", "10", 5),
               rec("zero_shot", None, 2), rec("translate_test", None, 3), rec("transfer", None, 4)]
    table = ladtl_table(records, ["es"])
    row = table.splitlines()[2]
    assert row.startswith("| es | 10 | 66.7") and "75.0" in row and "+8.3" in row
    assert ladtl_table([r for r in records if "mmd" not in r.arm and "mix" not in r.arm], ["es"]) == ""
    nt = no_target_table(records, ["es"])
    assert "translate-test" in nt.splitlines()[0] and "| 60.0" in nt.splitlines()[2]
