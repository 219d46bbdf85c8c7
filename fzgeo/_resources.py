"""The only module that knows where packaged data lives (``layers/``, ``styles/``, ``maps/``).

The three top-level data folders are installed as ``fzgeo._layers``, ``fzgeo._styles`` and
``fzgeo._maps`` (see pyproject.toml), so one lookup serves a checkout, an editable install and a
wheel. Open each file inside its own ``with as_file(...)`` block.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.resources import as_file, files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, TypeVar

import yaml

from fzgeo.errors import ConfigError, DataNotFoundError

T = TypeVar("T")

KINDS = ("layers", "styles", "maps")


def folder(kind: str) -> Traversable:
    """The packaged folder ``kind`` (one of :data:`KINDS`)."""
    if kind not in KINDS:
        msg = f"`kind` must be one of {KINDS}, got {kind!r}"
        raise ValueError(msg)
    return files(f"fzgeo._{kind}")


def packaged(kind: str, name: str) -> Traversable:
    """A file shipped in ``layers/``, ``styles/`` or ``maps/``; ``name`` may contain ``/``."""
    item = folder(kind)
    for part in name.split("/"):
        item = item / part
    if not item.is_file():
        available = ", ".join(sorted(listing(kind)))
        msg = f"no packaged {kind} file {name!r}; available: {available}"
        raise DataNotFoundError(msg, code="FZ500")
    return item


def listing(kind: str, suffix: str = "", subfolder: str = "") -> list[str]:
    """Names of the packaged files of ``kind`` (optionally in ``subfolder``, ending in ``suffix``)."""
    base = folder(kind)
    if subfolder:
        for part in subfolder.split("/"):
            base = base / part
        if not base.is_dir():
            return []
    prefix = f"{subfolder}/" if subfolder else ""
    return sorted(
        prefix + item.name
        for item in base.iterdir()
        if item.is_file() and item.name.endswith(suffix) and not item.name.startswith("__")
    )


@contextmanager
def packaged_path(kind: str, name: str) -> Iterator[Path]:
    """A real filesystem path of a packaged file, valid inside the ``with`` block."""
    with as_file(packaged(kind, name)) as path:
        yield Path(path)


def read_text(kind: str, name: str) -> str:
    """The UTF-8 text of a packaged file."""
    return packaged(kind, name).read_text(encoding="utf-8")


def keyed_yaml(kind: str, parse: Callable[..., T]) -> dict[str, T]:
    """Every packaged ``kind/*.yaml`` parsed with ``parse(data, where="kind/name.yaml")``, by key.

    Each parsed object's ``key`` must equal its file name without ``.yaml`` (ConfigError if not).
    """
    found: dict[str, T] = {}
    for name in listing(kind, ".yaml"):
        where = f"{kind}/{name}"
        item: Any = parse(yaml.safe_load(read_text(kind, name)), where=where)
        if item.key != name.removesuffix(".yaml"):
            raise ConfigError(f"{where}: key {item.key!r} must match the file name")
        found[item.key] = item
    return found
