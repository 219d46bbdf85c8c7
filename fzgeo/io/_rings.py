"""Rings of one parcel, numbered by 圈号 (ring number), assembled into a polygon or multipolygon.

Both coordinate formats that carry ring numbers use this one rule (the 报部格式 TXT read by
:mod:`fzgeo.io._landtxt` and the 界址点坐标表 read by :mod:`fzgeo.io.parcels`): ring 1 (the lowest
圈号) is the outer ring; every further ring, in 圈号 order, is a hole of the part it lies inside,
or else a further part (an island inside a hole is a part too). A ring that crosses another ring, or a further ring
that encloses ring 1, is refused: neither a hole nor a part is a safe reading of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import shapely
from shapely.geometry import MultiPolygon, Polygon

from fzgeo.errors import InputError

Coords = Sequence[tuple[float, float]]


@dataclass(frozen=True)
class Ring:
    """One ring as read, ready to assemble."""

    number: int  #: 圈号
    coords: Coords  #: easting/northing pairs, open (the first point is not repeated)
    where: str  #: where it is in the file, for messages (e.g. ``"line 12"``)


def distinct_points(coords: Coords) -> int:
    """How many different positions a ring visits."""
    return len(set(coords))


def _interiors_meet(a: Polygon, b: Polygon) -> bool:
    return bool(a.relate_pattern(b, "T********"))


@dataclass
class _Part:
    shell: Ring
    polygon: Polygon  #: the shell alone
    holes: list[Polygon]

    def takes_as_hole(self, polygon: Polygon) -> bool:
        """True when ``polygon`` lies inside this part (in its shell, clear of its holes)."""
        return polygon.within(self.polygon) and not any(
            _interiors_meet(polygon, h) for h in self.holes
        )

    def clashes_with(self, polygon: Polygon) -> bool:
        """True when ``polygon`` overlaps this part's area other than inside one of its holes."""
        if any(polygon.within(h) for h in self.holes):
            return False
        return _interiors_meet(polygon, self.polygon)


def _refuse(ring: Ring, other: Ring, problem: str, *, path: Path, code: str) -> InputError:
    msg = (
        f"ring 圈号 {ring.number} ({ring.where}) {problem} ring 圈号 {other.number} "
        f"({other.where}); a further ring must lie inside ring 1 (a hole) or outside it "
        "(a further part)"
    )
    hint = "check the 圈号 of these points; ring 1 is the outer ring"
    return InputError(msg, path=path, where=ring.where, code=code, hint=hint)


def assemble(rings: Sequence[Ring], *, path: Path, code: str) -> Polygon | MultiPolygon:
    """One polygon (or multipolygon) from a parcel's rings, ring 1 first.

    Parameters
    ----------
    rings
        The parcel's rings; they are taken in 圈号 order. Each has at least 3 distinct points.
    path
        The file, for messages.
    code
        The error code of the format (FZ404 for tables, FZ405 for the TXT).
    """
    parts: list[_Part] = []
    for ring in sorted(rings, key=lambda r: r.number):
        polygon = shapely.polygons(np.asarray(ring.coords, dtype=float))
        host = next((i for i, p in enumerate(parts) if p.takes_as_hole(polygon)), None)
        if host is not None:
            parts[host].holes.append(polygon)
            continue
        for part in parts:
            if part.clashes_with(polygon):
                problem = "encloses" if part.polygon.within(polygon) else "crosses"
                raise _refuse(ring, part.shell, problem, path=path, code=code)
        parts.append(_Part(ring, polygon, []))
    polygons = [
        part.polygon
        if not part.holes
        else shapely.polygons(part.polygon.exterior, holes=[h.exterior for h in part.holes])
        for part in parts
    ]
    return polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)
