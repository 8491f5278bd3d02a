"""Per-command wall time of a timestamped `spacy project run` log (scripts/timestamp_lines.py).

Each command starts where weasel prints its "==== name ====" header; it ends where the next one
starts (the last one at the log's last line). Prints a markdown table and the total.
Usage: python scripts/command_times.py all.log
"""
import re
import sys
from datetime import datetime, timedelta

LINE = re.compile(r"^(\d\d:\d\d:\d\d) \+\s*[\d.]+m (.*)$")
HEADER = re.compile(r"^(?:\x1b\[[0-9;]*m)*=+ ([a-z][\w/-]*) =+")
SKIPPED = re.compile(r"Skipping '([\w-]+)'")


def command_times(lines):
    """[(command, seconds, skipped)] in log order."""
    marks, skipped, last, day = [], set(), None, timedelta(0)
    for raw in lines:
        match = LINE.match(raw.rstrip("\n"))
        if not match:
            continue
        stamp = datetime.strptime(match.group(1), "%H:%M:%S") + day
        if last is not None and stamp < last:  # past midnight
            day += timedelta(days=1)
            stamp += timedelta(days=1)
        last = stamp
        text = re.sub(r"\x1b\[[0-9;]*m", "", match.group(2))
        header = HEADER.match(text)
        if header and "/" not in header.group(1):  # "corpus/e3c-en" headers are inside a command
            marks.append((header.group(1), stamp))
        skip = SKIPPED.search(text)
        if skip:
            skipped.add(skip.group(1))
    ends = [stamp for _, stamp in marks[1:]] + [last]
    return [(name, (end - start).total_seconds(), name in skipped) for (name, start), end in zip(marks, ends)]


def main(path: str) -> None:
    with open(path, encoding="utf8") as fh:
        rows = command_times(fh)
    print("| command | minutes |\n|---|---:|")
    for name, seconds, skipped in rows:
        print(f"| {name} | {seconds / 60:.1f}{' (skipped: up to date)' if skipped else ''} |")
    print(f"| **total** | **{sum(s for _, s, _ in rows) / 60:.1f}** |")


if __name__ == "__main__":
    main(sys.argv[1])
