"""Plan coverage: which inventory entries the built layers represent, and why the rest are not mapped.

The plan inventory (``shared/plan/inventory.yaml``, a reading aid listing the plan's spatial
elements with their lines) is not packaged: it is read from a path. A feature represents an entry
when its ``inventory_id`` provenance column holds the entry's ``id``; every layer kind is searched.
Entries no feature represents need a reason in the packaged ``layers/coverage_reasons.yaml``::

    scenic_5a_4a_count: {reason: target}
    inland_port: {reason: duplicate, of: fuzhou_international_land_port, note: "..."}

Reason codes are listed in :data:`REASONS`. The coverage figure is the share of *locatable*
entries (inventory geometry ``point``, ``line``, ``polygon`` or ``buffer``) that at least one
feature represents.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from geopandas import GeoDataFrame

from fzgeo import _resources
from fzgeo.errors import ConfigError, DataNotFoundError, InputError

#: Inventory geometries that can be drawn; the coverage figure is taken over these.
LOCATABLE = ("point", "line", "polygon", "buffer")
#: Why an entry is not on the map.
REASONS: dict[str, str] = {
    "target": "a pure number or target, nothing to draw",
    "not_locatable": "the plan gives no place (a generic programme, network or category)",
    "duplicate": "the same element as another entry (see `of`)",
    "outside_city": "outside 抚州市 (the map shows the city only)",
    "pending": "in the scope of a core layer that does not carry the id yet",
}
REASONS_FILE = "coverage_reasons.yaml"
INVENTORY_ENV = "FZGEO_INVENTORY"
_INVENTORY_REL = Path("shared") / "plan" / "inventory.yaml"


@dataclass(frozen=True)
class Entry:
    """One inventory entry."""

    id: str
    name_zh: str
    category: str
    geometry: str
    line: int | None

    @property
    def locatable(self) -> bool:
        """True if the inventory gives it a drawable geometry."""
        return self.geometry in LOCATABLE


@dataclass(frozen=True)
class Reason:
    """Why one entry is not on the map."""

    code: str
    note: str = ""
    of: str | None = None


@dataclass
class Coverage:
    """The coverage table and the problems found while building it."""

    table: pd.DataFrame
    problems: list[str] = field(default_factory=list)
    #: ids that have a reason although a feature represents them (the reason can go)
    stale: list[str] = field(default_factory=list)

    @property
    def locatable(self) -> int:
        """Number of locatable entries."""
        return int(self.table["locatable"].sum())

    @property
    def represented_locatable(self) -> int:
        """Number of locatable entries some feature represents."""
        return int((self.table["locatable"] & self.table["represented"]).sum())

    @property
    def percent(self) -> float:
        """Represented locatable entries as a percentage of locatable entries."""
        return 100.0 * self.represented_locatable / self.locatable if self.locatable else 0.0

    @property
    def placeable(self) -> tuple[int, int]:
        """(represented, total) over the entries the plan text places.

        Those are the locatable entries less ``not_locatable`` and ``outside_city`` ones (and
        less the duplicates of such entries: the same element, named twice); a ``duplicate``
        counts as represented when the entry it repeats is represented.
        """
        unplaced = ["not_locatable", "outside_city"]
        of = dict(zip(self.table["id"], self.table["of"], strict=True))
        original = self.table["id"].map(lambda i: _original(i, of))  # duplicates followed
        reason = dict(zip(self.table["id"], self.table["reason"], strict=True))
        done = set(self.table.loc[self.table["represented"], "id"])
        keep = self.table["locatable"] & ~original.map(reason).isin(unplaced)
        return int(original[keep].isin(done).sum()), int(keep.sum())

    def by_category(self) -> pd.DataFrame:
        """Per inventory category: locatable entries, how many are represented, and the share."""
        loc = self.table[self.table["locatable"]]
        out = loc.groupby("category").agg(
            locatable=("id", "size"), represented=("represented", "sum")
        )
        out["percent"] = (100.0 * out["represented"] / out["locatable"]).round(1)
        return out.sort_values(["percent", "locatable"], ascending=[True, False]).reset_index()

    def category_figures(self) -> str:
        """Per category, largest first: ``category represented/locatable``, comma-separated."""
        cats = self.by_category().sort_values(["locatable", "category"], ascending=[False, True])
        return ", ".join(
            f"{row.category} {int(row.represented)}/{int(row.locatable)}"
            for row in cats.itertuples()
        )

    def summary(self) -> str:
        """The figure: represented over locatable entries first, then per category, then the rest.

        The share of the entries the plan text places comes last and says what it is: an entry
        not drawn for want of a place is tagged ``not_locatable`` and leaves that denominator,
        so it is 100 % by construction once every such entry has its reason.
        """
        counts = self.table.loc[~self.table["represented"], "reason"].value_counts()
        why = ", ".join(f"{code} {n}" for code, n in counts.items())
        hit, total = self.placeable
        share = 100.0 * hit / total if total else 0.0
        return (
            f"{self.represented_locatable} of {self.locatable} locatable entries represented "
            f"({self.percent:.1f}%)\n"
            f"by category (represented/locatable): {self.category_figures()}\n"
            f"{len(self.table)} inventory entries; not on the map: {why or 'none'}; "
            f"entries the plan text places: {hit} of {total} ({share:.1f}%; locatable less "
            "not_locatable and outside_city, so an entry not drawn for want of a place leaves "
            "this denominator)"
        )


def _original(entry: str, of: Mapping[str, str]) -> str:
    """The entry a chain of duplicates ends at (``entry`` itself if it is no duplicate)."""
    seen = {entry}
    while of.get(entry) and of[entry] not in seen:
        entry = of[entry]
        seen.add(entry)
    return entry


def inventory_candidates(cwd: Path | None = None) -> list[Path]:
    """Where the inventory is looked for when no path is given, in order."""
    cwd = cwd or Path.cwd()
    found = []
    if os.environ.get(INVENTORY_ENV):
        found.append(Path(os.environ[INVENTORY_ENV]))
    found += [cwd.parent / _INVENTORY_REL, cwd / _INVENTORY_REL]
    layers_dir = files("fzgeo._layers")
    if isinstance(layers_dir, Path):  # a checkout or editable install: ../shared beside it
        found.append(layers_dir.resolve().parent.parent / _INVENTORY_REL)
    return list(dict.fromkeys(found))


def find_inventory(path: Path | None = None, *, cwd: Path | None = None) -> Path:
    """The inventory file: ``path`` if given, else the first of :func:`inventory_candidates`."""
    tried = [path] if path is not None else inventory_candidates(cwd)
    for candidate in tried:
        if candidate.is_file():
            return candidate
    listing = ", ".join(str(p) for p in tried)
    raise DataNotFoundError(
        f"plan inventory not found (tried {listing})",
        hint=f"pass --inventory PATH or set {INVENTORY_ENV}",
    )


def load_inventory(path: Path) -> list[Entry]:
    """Read and check the inventory: a YAML list of entries with unique ``id``s."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML ({exc})", path=path) from exc
    if not isinstance(data, list):
        raise InputError("expected a list of entries", path=path)
    entries, problems, seen = [], [], set()
    for i, item in enumerate(data):
        if not isinstance(item, Mapping) or not item.get("id") or not item.get("geometry"):
            problems.append(f"entry {i}: needs `id` and `geometry`")
            continue
        if item["id"] in seen:
            problems.append(f"entry {i}: id {item['id']!r} repeated")
        seen.add(item["id"])
        line = item.get("line")
        entries.append(
            Entry(
                id=str(item["id"]),
                name_zh=str(item.get("name_zh", "")),
                category=str(item.get("category", "")),
                geometry=str(item["geometry"]),
                line=int(line) if isinstance(line, int) else None,
            )
        )
    if problems:
        raise InputError("; ".join(problems[:10]), path=path, where=f"{len(problems)} entries")
    return entries


def load_reasons(text: str | None = None) -> dict[str, Reason]:
    """The packaged reasons (or those in ``text``), checked against :data:`REASONS`."""
    doc = yaml.safe_load(text if text is not None else _resources.read_text("layers", REASONS_FILE))
    where = f"layers/{REASONS_FILE}"
    if not isinstance(doc, Mapping):
        raise ConfigError("expected a mapping of inventory id to reason", path=where)
    reasons = {}
    for key, spec in doc.items():
        spec = {"reason": spec} if isinstance(spec, str) else spec
        code = spec.get("reason") if isinstance(spec, Mapping) else None
        if code not in REASONS:
            msg = f"{key}: reason must be one of {sorted(REASONS)}, got {code!r}"
            raise ConfigError(msg, path=where)
        if (code == "duplicate") != bool(spec.get("of")):
            raise ConfigError(f"{key}: `of` is required with, and only with, duplicate", path=where)
        reasons[str(key)] = Reason(code, str(spec.get("note", "")), spec.get("of"))
    return reasons


def represented_by(layers: Mapping[str, GeoDataFrame]) -> dict[str, list[tuple[str, str]]]:
    """Inventory id to the (layer, feature name) pairs whose ``inventory_id`` holds it."""
    found: dict[str, list[tuple[str, str]]] = {}
    for layer, gdf in layers.items():
        if "inventory_id" not in gdf.columns:
            continue
        for iid, name in zip(gdf["inventory_id"], gdf["name"], strict=True):
            if isinstance(iid, str) and iid:
                found.setdefault(iid, []).append((layer, str(name)))
    return found


def coverage(
    entries: list[Entry],
    layers: Mapping[str, GeoDataFrame],
    reasons: Mapping[str, Reason],
) -> Coverage:
    """Match every entry to its features or its reason, and list the inconsistencies."""
    found = represented_by(layers)
    ids = {e.id for e in entries}
    problems = _problems(entries, ids, found, reasons)
    rows = [_row(e, found.get(e.id, []), reasons.get(e.id)) for e in entries]
    stale = sorted(i for i in reasons if i in found and i in ids)
    return Coverage(pd.DataFrame(rows), problems, stale)


def _row(entry: Entry, feats: list[tuple[str, str]], reason: Reason | None) -> dict[str, Any]:
    note = ""
    if not feats and reason is not None:
        note = f"of {reason.of}: {reason.note}" if reason.of else reason.note
    return {
        "id": entry.id,
        "name_zh": entry.name_zh,
        "category": entry.category,
        "geometry": entry.geometry,
        "line": entry.line,
        "locatable": entry.locatable,
        "represented": bool(feats),
        "layers": "; ".join(dict.fromkeys(layer for layer, _ in feats)),
        "features": "; ".join(dict.fromkeys(name for _, name in feats)),
        "reason": "" if feats else (reason.code if reason else "MISSING"),
        "of": (reason.of if reason and not feats else None) or "",
        "note": note.strip(),
    }


def _problems(
    entries: list[Entry],
    ids: set[str],
    found: Mapping[str, list[tuple[str, str]]],
    reasons: Mapping[str, Reason],
) -> list[str]:
    problems = []
    for iid, feats in sorted(found.items()):
        if iid not in ids:
            where = ", ".join(f"{layer}/{name}" for layer, name in feats[:3])
            problems.append(f"inventory_id {iid!r} is not in the inventory ({where})")
    for iid, reason in sorted(reasons.items()):
        if iid not in ids:
            problems.append(f"reason given for {iid!r}, which is not in the inventory")
        if reason.of is not None and reason.of not in ids:
            problems.append(f"{iid!r} is a duplicate of {reason.of!r}, which is not an entry")
    for e in entries:
        if e.id not in found and e.id not in reasons:
            problems.append(f"{e.id!r} ({e.name_zh}) is neither represented nor given a reason")
    return problems
