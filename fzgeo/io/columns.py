"""Finding a column by the names people give it: 项目类型 or ``Project_Type``, BSM or ``bsm``.

Files arrive with the same column spelt many ways: full-width letters from a Chinese input method,
a stray space from Excel, upper or lower case. :func:`find_column` compares names after
:func:`normalise` (NFKC, which makes full-width letters, digits and spaces half-width, then every
space removed) and case-insensitively, and returns the column as the file spells it. Every lookup
of a column by its usual names goes through it: the sites' id column for messages
(:func:`fzgeo.io.repair.id_column`), the project type column and the constraint layers' id and
name columns of the check.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

import pandas as pd


def normalise(value: object) -> str:
    """``value`` as text in NFKC (full width to half width) without any space; "" when missing."""
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return ""
    return "".join(unicodedata.normalize("NFKC", str(value)).split())


def find_column(columns: Iterable[object], wanted: Iterable[str]) -> str | None:
    """The first name of ``wanted`` among ``columns`` (normalised, case-insensitive), or None.

    Returns the column's own name, as the table spells it.
    """
    present: dict[str, str] = {}
    for col in columns:
        present.setdefault(normalise(col).casefold(), str(col))
    for name in wanted:
        found = present.get(normalise(name).casefold())
        if found is not None:
            return found
    return None
