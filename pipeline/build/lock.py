"""The build lock: one process at a time replaces the warehouse or the site.

Its own small module, so that a run can take it (and find nothing to do) without loading the
warehouse's writer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from filelock import FileLock, Timeout

from pipeline.errors import WarehouseBusyError
from pipeline.paths import Paths


@contextmanager
def build_lock(paths: Paths, wait_seconds: float = 0) -> Iterator[None]:
    """Hold the exclusive build lock, or fail with a message saying who to wait for."""
    paths.processed.mkdir(parents=True, exist_ok=True)
    lock = FileLock(paths.warehouse_lock)
    try:
        lock.acquire(timeout=wait_seconds)
    except Timeout:
        raise WarehouseBusyError(
            f"another palmares process is building {paths.warehouse} "
            f"(lock {paths.warehouse_lock}); wait for it to finish and retry"
        ) from None
    try:
        yield
    finally:
        lock.release()
