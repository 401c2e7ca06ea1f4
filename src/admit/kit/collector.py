"""Python's cycle collector held off where a process makes many objects that all live on.

Two such places:
- a batch being built and written (``invitations.pipeline``): a batch of 1,000 invitations
  makes tens of thousands of short-lived dicts and lists, and each 700 allocations start a
  collection that walks the young objects (sometimes all of them): a fifth of an import's time
  (bench/bulk.py, with the collector off: 1.26 s → 0.98 s on SQLite);
- a process starting: importing the app and building it makes ~300,000 objects (modules,
  routes, the ORM's mappings) that live as long as the process, and ~600 collections walk them
  as they pile up, four of them walking everything: 0.3-0.6 s of a web process's 2-2.5 s start
  (``admit.app``; the worker's import too). A CLI command pays ~0.13 s of a 0.85 s run, but its
  imports are spread through its body: not held off there.

This module imports nothing but the standard library, so that it can be the first thing a
start-up imports.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]


@contextmanager
def collector_paused() -> Iterator[None]:
    """The collector off inside, on again on leaving (however it is left). Reference counting
    still frees what is dropped meanwhile; cycles wait for the next collection. Held off only by
    the outermost caller, so nested uses and other threads never leave it off. Also a decorator."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
