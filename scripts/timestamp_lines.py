"""Prefix every line of stdin with the wall-clock time and the minutes since the first line.

Used to time `make all`: `make all 2>&1 | python scripts/timestamp_lines.py > all.log`, then
`python scripts/command_times.py all.log` turns the log into a per-command table.
"""
import sys
import time


def main() -> None:
    t0 = time.time()
    for line in sys.stdin:
        sys.stdout.write(f"{time.strftime('%H:%M:%S')} +{(time.time() - t0) / 60:5.1f}m {line}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
