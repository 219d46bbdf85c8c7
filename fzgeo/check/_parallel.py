"""Vectorised shapely calls spread over threads (shapely 2 releases the GIL in most of them).

:func:`split` runs one vectorised function on interleaved slices of its arrays, one slice per
thread, and puts the results back in order: interleaving balances big and small geometries
between the threads without sorting them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import shapely

MIN_ITEMS = 64  #: fewer items than this run in the calling thread


def is_valid(geoms: np.ndarray) -> np.ndarray:
    """:func:`shapely.is_valid` for use in threads.

    ``shapely.is_valid`` wraps the GEOS call in :class:`warnings.catch_warnings`, which swaps
    the process-wide warning filters: run in several threads at once, the exits restore each
    other's state and can leave an ``ignore`` filter in place, so the check's own warnings
    (repairs, unusable sites) would be lost. The GEOS call itself emits no Python warning.
    """
    return np.asarray(shapely.lib.is_valid(geoms), dtype=bool)


def workers() -> int:
    """The threads to use: one per core."""
    return os.cpu_count() or 1


def split(
    func: Callable[..., np.ndarray],
    *arrays: np.ndarray,
    threads: int | None = None,
    min_items: int = MIN_ITEMS,
) -> np.ndarray:
    """``func(*arrays)`` computed on interleaved slices over ``threads`` threads.

    ``func`` must be element-wise (item ``i`` of the result depends only on item ``i`` of each
    array) and return one value per item; ``arrays`` are of equal length.
    """
    n = len(arrays[0]) if arrays else 0
    threads = min(threads or workers(), max(n // max(min_items, 1), 1))
    if threads < 2:
        return np.asarray(func(*arrays))
    slices = [slice(k, None, threads) for k in range(threads)]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        done = list(pool.map(lambda sl: np.asarray(func(*(a[sl] for a in arrays))), slices))
    out = np.empty((n, *done[0].shape[1:]), dtype=done[0].dtype)
    for sl, res in zip(slices, done, strict=True):
        out[sl] = res
    return out


def release_memory() -> None:
    """Give the heap's free pages back to the system (glibc ``malloc_trim``; elsewhere nothing).

    GEOS frees the many temporary geometries of a cut or a measuring phase into the allocator's
    per-thread arenas, which keep them: the next phase's threads may not reuse them, and the
    process's resident size (what a machine's memory limit counts) stays at its high-water mark.
    Called between the check's large phases.
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if not name:
        return
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return
    trim(0)
