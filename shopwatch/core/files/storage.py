"""Storage is not transactional: files written inside a transaction that later fails must be deleted.

A caller that stores files inside a larger transaction (a phone report with its photos) wraps the whole in
``stored_files_guard``; whatever writes a file calls ``remember_stored`` with its name.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.files.storage import default_storage

# Names of files written to storage during the current guarded block (see ``stored_files_guard``).
_STORED: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("shopwatch_stored", default=None)


@contextmanager
def stored_files_guard() -> Iterator[list[str]]:
    """Delete files stored inside the block if the block fails (their database rows roll back).

    Storage is not transactional: a caller that adds evidence inside a larger transaction wraps it
    in this guard so a later failure leaves no orphaned originals behind. The yielded list names
    what was stored, for callers that find their transaction was replaced by an earlier one.
    """
    names: list[str] = []
    token = _STORED.set(names)
    try:
        yield names
    except BaseException:
        discard_stored(names)
        raise
    finally:
        _STORED.reset(token)


def discard_stored(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)
    names.clear()


def remember_stored(name: str) -> None:
    """Note a file just written to storage, so an enclosing ``stored_files_guard`` can delete it."""
    names = _STORED.get()
    if names is not None:
        names.append(name)
