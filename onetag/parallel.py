"""Map a function over many files, across processes when there are enough to pay for it."""

from __future__ import annotations

import os
from typing import Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")
R = TypeVar("R")

PARALLEL_MIN_ITEMS = 2000  # below this, forking costs more than it saves


def pmap(
    func: Callable[[T], R],
    items: list[T],
    *,
    jobs: int | None = None,
    progress: Callable[[Iterable[R], int], Iterator[R]] | None = None,
) -> list[R]:
    """``[func(x) for x in items]`` in order; one process per core for large inputs.

    ``func`` must be picklable (a module-level function or a partial of one). ``progress``
    wraps the result iterator (a progress bar) and receives the total.
    """
    wrap = progress or (lambda results, total: iter(results))
    workers = jobs if jobs is not None else min(os.cpu_count() or 1, 8)
    if workers <= 1 or len(items) < PARALLEL_MIN_ITEMS:
        return list(wrap(map(func, items), len(items)))
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    chunk = max(64, min(1024, len(items) // (workers * 4)))
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return list(wrap(pool.map(func, items, chunksize=chunk), len(items)))
