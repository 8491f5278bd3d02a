"""scripts/timestamp_lines.py and scripts/command_times.py: how the quick `all` was timed."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_command_times_from_a_timestamped_log(tmp_path):
    log = tmp_path / "all.log"
    log.write_text(
        "23:58:00 +  0.0m .venv/bin/python -m spacy project run all .\n"
        "23:58:01 +  0.0m \x1b[1m\n"
        "23:58:01 +  0.0m ================================== encoder ==================================\x1b[0m\n"
        "23:58:31 +  0.5m =============================== corpus/e3c-en ===============================\n"
        "23:59:01 +  1.0m ================================ train-source ================================\x1b[0m\n"
        "23:59:02 +  1.0m =========== [1/1] source_en_s1: train  (elapsed 0.0 min, left ~?) ===========\n"
        "23:59:03 +  1.0m ============================= Training pipeline =============================\n"
        "00:01:01 +  3.0m ================================== results ==================================\n"
        "00:01:02 +  3.0m \x1b[38;5;4mℹ Skipping 'results': nothing changed\x1b[0m\n"
        "00:01:07 +  3.1m EXIT 0\n")
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "command_times.py"), str(log)],
                         capture_output=True, text=True, check=True).stdout
    assert "| encoder | 1.0 |" in out and "| train-source | 2.0 |" in out
    assert "| results | 0.1 (skipped: up to date) |" in out and "| **total** | **3.1** |" in out
    assert "corpus/e3c-en" not in out and "source_en_s1" not in out and "Training pipeline" not in out


def test_timestamp_lines_prefixes_every_line():
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "timestamp_lines.py")], input="a\nb\n",
                          capture_output=True, text=True, check=True)
    lines = proc.stdout.splitlines()
    assert len(lines) == 2 and lines[0].endswith("m a") and lines[1].split()[1].startswith("+")
