"""Progress bars for the long phases of a command, on a real terminal only.

One rule for every phase (reading, cutting, measuring, tables, maps, writing): a bar shows when
the caller asks for one (``show=True``), never when it says no (``show=False``, e.g.
``--no-progress``), and by default (``show=None``) only for batches of at least
:data:`MIN_ITEMS` items on an interactive terminal, so pipes, files and CI logs stay clean. Bars go
to stderr (stdout keeps the command's results) with Chinese labels.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Iterator
from typing import Any

MIN_ITEMS = 1000  #: smallest batch (sites) with progress bars by default
ONE_STEP = "{desc}：{percentage:3.0f}%|{bar}| 用时 {elapsed}"  #: a one-step phase's bar
#: A phase of several steps: done/total, time so far and left.
STEPS = (
    "{desc}：{percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt}{unit} 用时 {elapsed}，剩余 {remaining}"
)


def terminal() -> bool:
    """True when stderr is an interactive terminal (not a pipe, file, CI log or dumb terminal)."""
    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stream
        return False
    return tty and os.environ.get("TERM") != "dumb" and not os.environ.get("CI")


def wanted(items: int, show: bool | None = None) -> bool:
    """Whether a batch of ``items`` gets progress bars: ``show`` if given, else the default rule."""
    if show is not None:
        return show
    return items >= MIN_ITEMS and terminal()


class Silent:
    """The bar of a phase that shows nothing (same methods as a tqdm bar)."""

    def update(self, n: int = 1) -> None:
        """Nothing to advance."""

    def set_postfix_str(self, text: str) -> None:
        """Nothing to show."""

    def close(self) -> None:
        """Nothing to close."""


def bar(desc: str, total: int, *, show: bool, unit: str = "项") -> Any:
    """A bar of ``total`` steps labelled ``desc`` on stderr, or a :class:`Silent` one."""
    if not show:
        return Silent()
    from tqdm import tqdm

    # no monitor thread: it would outlive the bar, and a process running a second thread must
    # not fork (the site maps are drawn in forked processes, fzgeo.report._sitemaps)
    tqdm.monitor_interval = 0
    fmt = ONE_STEP if total == 1 else STEPS  # a one-step phase: its label and time, no count
    width = shutil.get_terminal_size(fallback=(80, 24)).columns  # 80 where the size is unknown
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, ncols=width, bar_format=fmt)


@contextlib.contextmanager
def phase(desc: str, total: int = 1, *, show: bool, unit: str = "项") -> Iterator[Any]:
    """A bar for one phase, closed (and, for a one-step phase, completed) when the block ends.

    A phase of one step (reading a file, building a table) shows its label while it runs and
    its duration when done.
    """
    progress = bar(desc, total, show=show, unit=unit)
    try:
        yield progress
        if total == 1 and getattr(progress, "n", 1) == 0:
            progress.update(1)
    finally:
        progress.close()
