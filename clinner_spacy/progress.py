"""Progress reporting for long runs (translation, projection, prediction, conversion):
units done, rate and time left.

A thin layer over tqdm so that every concern shows progress one way, and so that tests and
library users can switch it off or watch it with a callback instead of a bar on stderr.
"""
import sys
import time
from typing import Callable, Optional

from tqdm import tqdm

#: called with (done, total, elapsed_seconds) after every update
ProgressCallback = Callable[[int, int, float], None]


class Progress:
    """Counts finished units of work and shows count, rate and ETA.

    total (int): the number of units expected (sentences, usually).
    desc (str): a short label shown before the bar.
    enabled (Optional[bool]): show a bar on stderr; None shows it only when stderr is a
        terminal, so logs and CI output are not filled with carriage returns.
    callback (Optional[ProgressCallback]): also called after every update.
    unit (str): what one unit is called in the bar.
    """

    def __init__(
        self,
        total: int,
        *,
        desc: str = "translate",
        enabled: Optional[bool] = None,
        callback: Optional[ProgressCallback] = None,
        unit: str = "sent",
    ):
        if enabled is None:
            enabled = sys.stderr.isatty()
        self.total = total
        self.done = 0
        self.callback = callback
        self.start = time.perf_counter()
        self._bar = (
            tqdm(total=total, desc=desc, unit=unit, dynamic_ncols=True, smoothing=0.1)
            if enabled
            else None
        )

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    @property
    def rate(self) -> float:
        """RETURNS (float): units per second so far (0.0 before the first update)."""
        elapsed = self.elapsed
        return self.done / elapsed if elapsed > 0 else 0.0

    @property
    def eta(self) -> Optional[float]:
        """RETURNS (Optional[float]): seconds left at the current rate, None if unknown."""
        rate = self.rate
        if rate <= 0:
            return None
        return max(self.total - self.done, 0) / rate

    def update(self, n: int = 1) -> None:
        """Record n more finished units."""
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
        if self.callback is not None:
            self.callback(self.done, self.total, self.elapsed)

    def set_postfix(self, **values) -> None:
        """Show extra counters (cache hits, for instance) beside the bar."""
        if self._bar is not None:
            self._bar.set_postfix(values, refresh=False)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
