"""fzgeo._resources.keyed_yaml: the shared loader of packaged styles/*.yaml and maps/*.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from fzgeo import _resources
from fzgeo.errors import ConfigError


@dataclass(frozen=True)
class _Item:
    key: str
    where: str


def _parse(data: Any, *, where: str) -> _Item:
    return _Item(data["key"], where)


def _fake(monkeypatch: pytest.MonkeyPatch, kind: str, files: dict[str, str]) -> None:
    tree = {kind: files}

    def listing(kind: str, suffix: str = "") -> list[str]:
        return sorted(n for n in tree[kind] if n.endswith(suffix))

    monkeypatch.setattr(_resources, "listing", listing)
    monkeypatch.setattr(_resources, "read_text", lambda kind, name: tree[kind][name])


def test_keyed_by_key_with_where(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake(monkeypatch, "styles", {"a.yaml": "key: a\n", "b.yaml": "key: b\n", "c.txt": "x"})
    got = _resources.keyed_yaml("styles", _parse)
    assert got == {"a": _Item("a", "styles/a.yaml"), "b": _Item("b", "styles/b.yaml")}


def test_key_must_match_file_name(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake(monkeypatch, "maps", {"a.yaml": "key: b\n"})
    with pytest.raises(ConfigError, match=r"maps/a\.yaml: key 'b' must match the file name"):
        _resources.keyed_yaml("maps", _parse)


def test_packaged_styles_and_maps_load() -> None:
    from fzgeo import styles
    from fzgeo.maps import compose

    assert styles.available() and compose.available()
