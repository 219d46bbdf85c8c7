"""Siting rules as data: which constraint layer, what counts as a hit, and how grave it is.

A rules file is YAML (the packaged default is ``layers/rules/default.yaml``)::

    version: 1
    type_column: project_type      # site attribute that declares the project type (optional)
    project_types: [一般建设项目]  # project types known besides the exempt ones (optional)
    radius_column: radius_m        # site attribute giving a point site's radius in metres
    touch_tolerance_m2: 0.01       # an overlap below this area (m²) is a touch, not an overlap
    touch_tolerance_m: 0.01        # a line's length inside below this (m) is a touch
    rules:
      - id: eco_redline
        name_zh: 生态保护红线
        layer: eco_redline         # a packaged layer name, or a key of --against
        kind: veto                 # veto | within | proximity | soft
        severity: 一票否决
        exempt_types: [国家重大项目]
        exempt_verdict: 邻近
        id_column: BSM             # the layer's feature id and name (optional; see below)
        name_column: HXMC

Rule kinds (verdicts are 冲突 conflict, 邻近 near/review, 无冲突 clear):

``veto`` (一票否决, hard veto)
    any overlap with the layer is 冲突; with ``near_m``, a site that does not overlap but lies
    within that distance is 邻近.
``within``
    the site must lie inside the layer (e.g. 城镇开发边界); any part outside is 冲突, and that
    part outside is the conflict part (its area, share and geometry).
``proximity`` (buffer)
    a site within ``distance_m`` of the layer (overlap counts as distance 0) is 邻近.
``soft`` (soft factor)
    an overlap is 邻近 and adds ``weight`` × share of the site to the site's score.
``slope`` (terrain screening)
    ``layer`` names a DEM raster (``fzgeo check --dem FILE`` supplies the one called ``dem``);
    a site whose share of area steeper than ``max_slope_deg`` exceeds ``max_share`` gets
    ``hit_verdict`` (default 冲突). Slopes come from :mod:`fzgeo.raster.terrain`.

Touching is not overlapping: an overlap of a polygon site below ``touch_tolerance_m2``
(default 0.01 m², the reports' precision) or a line site's length inside below
``touch_tolerance_m`` (default 0.01 m) is a touch, such as the sliver a coordinate round trip
leaves where a site's edge lies on a red line's edge: area 0, distance 0, and the verdict the
rule gives a site at distance 0 (邻近 with a ``near_m`` or ``distance_m``, else 无冲突). The same
tolerance applies to the part of a site outside a ``within`` layer.

``where`` keeps only the layer's features whose attributes equal the given values (e.g. the
抚河 main stem of a river layer). ``min_overlap_m2`` ignores overlaps up to that area (slivers
from digitising); the default 0 counts every overlap above the touch tolerance. A site whose
project type (:mod:`fzgeo.check.project_types`: the ``type_column``, else the usual column names
such as 项目类型) is in ``exempt_types`` gets ``exempt_verdict`` instead of 冲突 and is marked
exempt (the national rules let certain major projects occupy a red line under conditions; the
exemption means "needs the statutory review", not "allowed"). ``id_column`` and ``name_column``
name the layer's columns that identify the features a site meets (default: the usual ones, see
:mod:`fzgeo.check.labels`). A rule whose layer is missing, or whose ``where`` keeps no feature,
is reported as skipped (跳过), never silently passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from fzgeo import _resources
from fzgeo.errors import ConfigError, DataNotFoundError

KINDS = ("veto", "within", "proximity", "soft", "slope")
RASTER_KINDS = ("slope",)  #: kinds whose layer is a raster, not a vector layer
CONFLICT, NEAR, CLEAR, SKIPPED = "冲突", "邻近", "无冲突", "跳过"
UNCHECKED = "无法检查"  #: a site without usable geometry (null, empty): reported, not checked
VERDICTS = (CONFLICT, NEAR, CLEAR)
#: Verdict rank: the site's overall verdict is the gravest of its rules.
RANK = {CLEAR: 0, SKIPPED: 0, UNCHECKED: 0, NEAR: 1, CONFLICT: 2}
DEFAULT_SEVERITY = {
    "veto": "一票否决",
    "within": "警告",
    "proximity": "复核",
    "soft": "参考",
    "slope": "警告",
}
#: Packaged terrain rules, added by ``fzgeo check --dem`` when the rules have no slope rule.
TERRAIN_RULES = "rules/terrain.yaml"
DEFAULT_RULES = "rules/default.yaml"
_RULE_KEYS = {
    "id",
    "name_zh",
    "layer",
    "kind",
    "severity",
    "distance_m",
    "near_m",
    "where",
    "exempt_types",
    "exempt_verdict",
    "weight",
    "min_overlap_m2",
    "description",
    "basis",
    "max_slope_deg",
    "max_share",
    "hit_verdict",
    "id_column",
    "name_column",
}
#: The report's precision: an overlap below 0.01 m² (a length below 0.01 m) is a touch.
TOUCH_TOLERANCE_M2 = 0.01
TOUCH_TOLERANCE_M = 0.01
_TOP_KEYS = {
    "version",
    "rules",
    "type_column",
    "project_types",
    "radius_column",
    "touch_tolerance_m2",
    "touch_tolerance_m",
}


@dataclass(frozen=True)
class Rule:
    """One siting rule; see the module docstring for the meaning of each kind."""

    id: str
    layer: str
    kind: str
    name_zh: str = ""
    severity: str = ""
    distance_m: float = 0.0
    near_m: float = 0.0
    where: Mapping[str, Any] = field(default_factory=dict)
    exempt_types: tuple[str, ...] = ()
    exempt_verdict: str = NEAR
    weight: float = 1.0
    min_overlap_m2: float = 0.0
    description: str = ""
    basis: str = ""
    max_slope_deg: float = 0.0
    max_share: float = 0.0
    hit_verdict: str = CONFLICT
    id_column: str = ""  #: the layer's feature id column ("": the usual names)
    name_column: str = ""  #: the layer's feature name column ("": the usual names)

    def __post_init__(self) -> None:
        """Check the values a YAML author can get wrong."""
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if self.kind == "proximity" and not self.distance_m > 0:
            raise ValueError("a proximity rule needs distance_m > 0")
        if min(self.distance_m, self.near_m, self.min_overlap_m2) < 0:
            raise ValueError("distance_m, near_m and min_overlap_m2 must not be negative")
        if self.exempt_verdict not in VERDICTS or self.hit_verdict not in VERDICTS:
            raise ValueError(f"exempt_verdict and hit_verdict must be one of {VERDICTS}")
        if self.kind == "slope" and not 0 < self.max_slope_deg < 90:
            raise ValueError("a slope rule needs 0 < max_slope_deg < 90")
        if not 0 <= self.max_share < 1:
            raise ValueError("max_share must be at least 0 and below 1")
        if not self.severity:
            object.__setattr__(self, "severity", DEFAULT_SEVERITY[self.kind])
        if not self.name_zh:
            object.__setattr__(self, "name_zh", self.id)

    @property
    def reach_m(self) -> float:
        """The distance within which a non-overlapping site still matters (0: none)."""
        return self.distance_m if self.kind == "proximity" else self.near_m


@dataclass(frozen=True)
class RuleSet:
    """The rules of one check, with the site attributes they read."""

    rules: tuple[Rule, ...]
    type_column: str | None = None  #: None: look for the usual names (project_types.py)
    radius_column: str = "radius_m"
    source: str = ""
    project_types: tuple[str, ...] = ()  #: known project types besides the exempt ones
    touch_tolerance_m2: float = TOUCH_TOLERANCE_M2
    touch_tolerance_m: float = TOUCH_TOLERANCE_M

    def __post_init__(self) -> None:
        """Refuse negative tolerances."""
        if not min(self.touch_tolerance_m2, self.touch_tolerance_m) >= 0:
            raise ValueError("touch_tolerance_m2 and touch_tolerance_m must not be negative")

    def layers(self) -> list[str]:
        """The constraint layers the rules need, in rule order, each once."""
        return list(dict.fromkeys(r.layer for r in self.rules))

    def exempt_types(self) -> tuple[str, ...]:
        """Every type some rule exempts, in rule order, each once."""
        return tuple(dict.fromkeys(t for r in self.rules for t in r.exempt_types))

    def layer_title(self, layer: str) -> str:
        """The Chinese name of the first rule on ``layer`` (for legends), else the layer name."""
        return next((r.name_zh for r in self.rules if r.layer == layer), layer)

    def vector_rules(self, layer: str | None) -> list[Rule]:
        """The rules measured on the vector layer ``layer`` (every kind but the raster ones)."""
        return [r for r in self.rules if r.layer == layer and r.kind not in RASTER_KINDS]

    def layers_by_title(self) -> dict[str, str]:
        """Display title (:meth:`layer_title`) -> layer name, for layers given by their titles."""
        return {self.layer_title(layer): layer for layer in self.layers()}


def _rule(data: Any, i: int, source: str) -> Rule:
    if not isinstance(data, Mapping):
        raise ConfigError(f"rule {i + 1} is not a mapping", path=source)
    unknown = sorted(set(data) - _RULE_KEYS)
    where = f"rule {i + 1} ({data.get('id', '?')})"
    if unknown:
        raise ConfigError(
            f"unknown keys {unknown}; known: {sorted(_RULE_KEYS)}", path=source, where=where
        )
    try:
        return Rule(
            id=str(data["id"]),
            layer=str(data["layer"]),
            kind=str(data["kind"]),
            name_zh=str(data.get("name_zh", "")),
            severity=str(data.get("severity", "")),
            distance_m=float(data.get("distance_m", 0.0)),
            near_m=float(data.get("near_m", 0.0)),
            where=dict(data.get("where") or {}),
            exempt_types=tuple(str(t) for t in data.get("exempt_types") or ()),
            exempt_verdict=str(data.get("exempt_verdict", NEAR)),
            weight=float(data.get("weight", 1.0)),
            min_overlap_m2=float(data.get("min_overlap_m2", 0.0)),
            description=str(data.get("description", "")),
            basis=str(data.get("basis", "")),
            max_slope_deg=float(data.get("max_slope_deg", 0.0)),
            max_share=float(data.get("max_share", 0.0)),
            hit_verdict=str(data.get("hit_verdict", CONFLICT)),
            id_column=str(data.get("id_column") or ""),
            name_column=str(data.get("name_column") or ""),
        )
    except KeyError as exc:
        raise ConfigError(f"missing key {exc.args[0]!r}", path=source, where=where) from exc
    except (TypeError, ValueError) as exc:
        raise ConfigError(str(exc), path=source, where=where) from exc


def from_mapping(doc: Any, *, source: str = "rules") -> RuleSet:
    """Build a :class:`RuleSet` from the parsed YAML document."""
    if not isinstance(doc, Mapping) or not isinstance(doc.get("rules"), list):
        raise ConfigError("a rules file is a mapping with a list under 'rules'", path=source)
    if doc.get("version", 1) != 1:
        raise ConfigError(f"unsupported rules version {doc.get('version')!r}", path=source)
    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        raise ConfigError(f"unknown keys {unknown}; known: {sorted(_TOP_KEYS)}", path=source)
    rules = tuple(_rule(r, i, source) for i, r in enumerate(doc["rules"]))
    if not rules:
        raise ConfigError("no rules", path=source)
    ids = [r.id for r in rules]
    dupes = sorted({x for x in ids if ids.count(x) > 1})
    if dupes:
        raise ConfigError(f"rule ids used twice: {dupes}", path=source)
    try:
        return RuleSet(
            rules=rules,
            type_column=str(doc["type_column"]) if doc.get("type_column") else None,
            radius_column=str(doc.get("radius_column", "radius_m")),
            source=source,
            project_types=tuple(str(t) for t in doc.get("project_types") or ()),
            touch_tolerance_m2=float(doc.get("touch_tolerance_m2", TOUCH_TOLERANCE_M2)),
            touch_tolerance_m=float(doc.get("touch_tolerance_m", TOUCH_TOLERANCE_M)),
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(str(exc), path=source) from exc


def with_terrain(rule_set: RuleSet) -> RuleSet:
    """``rule_set`` plus the packaged terrain rules, unless it has a slope rule already."""
    if any(r.kind in RASTER_KINDS for r in rule_set.rules):
        return rule_set
    terrain = from_mapping(
        yaml.safe_load(_resources.read_text("layers", TERRAIN_RULES)),
        source=f"layers/{TERRAIN_RULES}",
    )
    ids = {r.id for r in rule_set.rules}
    clash = sorted(ids & {r.id for r in terrain.rules})
    if clash:
        raise ConfigError(
            f"rule ids {clash} clash with the packaged terrain rules", path=rule_set.source
        )
    return replace(
        rule_set,
        rules=rule_set.rules + terrain.rules,
        source=f"{rule_set.source} + layers/{TERRAIN_RULES}",
    )


def load(path: str | Path | None = None) -> RuleSet:
    """Read a rules file, or the packaged default rules when ``path`` is None."""
    if path is None:
        text, source = _resources.read_text("layers", DEFAULT_RULES), f"layers/{DEFAULT_RULES}"
    else:
        path = Path(path)
        if not path.is_file():
            raise DataNotFoundError("rules file not found", path=path)
        text, source = path.read_text(encoding="utf-8"), str(path)
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML ({exc})", path=source) from exc
    return from_mapping(doc, source=source)
