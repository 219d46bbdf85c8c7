"""Make attribute text safe for every output: HTML, CSV/XLSX cells, plain text.

User attributes travel into popups, reports and spreadsheets. A value such as
``<img src=x onerror=alert(1)>`` must show as text, a cell starting with ``= + - @`` must not run
as a formula in Excel or WPS, and control characters or very long texts must not break a file.
"""

from __future__ import annotations

import html
import re
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MAX_TEXT = 2000  #: characters kept of a single value in reports and popups
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_CHARS = _CONTROL  #: control characters that clean_text removes (tab, newline kept)


def clean_text(value: Any, *, limit: int = MAX_TEXT) -> Any:
    """Strip control characters (keeping tab/newline) and cut texts longer than ``limit``."""
    if not isinstance(value, str):
        return value
    text = _CONTROL.sub("", value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def neutralize_cell(value: Any) -> Any:
    """A CSV/XLSX cell value that spreadsheet programs will not evaluate as a formula."""
    value = clean_text(value)
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def escape_html(value: Any) -> str:
    """HTML-escaped text of any value (None as empty)."""
    if value is None:
        return ""
    return html.escape(str(clean_text(value)), quote=True)
