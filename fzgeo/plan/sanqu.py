"""Load OFFICIAL 三区三线 data (生态保护红线, 永久基本农田, 城镇开发边界, 三区) into fzgeo's layer kinds.

The official vectors are not public; users hold them as a File GDB, GeoPackage, Shapefile (or a
folder of Shapefiles). A *profile* (YAML) says which source layers feed which layer kind and maps
the source attribute names to the kind's columns. ``layers/profiles/sanqu_gb.yaml`` (``gb``) covers
the national 国土空间规划 database standard: STBHHX, YJJBNTBHTB, CZKFBJ with BSM, YSDM, XZQDM,
XZQMC and the area fields, often in CGCS2000 3-degree Gauss-Kruger (EPSG:4527/4548; the CRS is
resolved by :func:`fzgeo.crs.resolve_crs`).

:func:`load` never drops a feature: invalid geometries are repaired (with a
:class:`~fzgeo.errors.RepairWarning` and a count), a feature without geometry is an error that names
it, source fields the profile does not map are kept as ``src_<FIELD>`` columns, and the
:class:`LoadReport` lists every field, value and layer it could not map. Output layers have
precision ``official`` and are validated against their kinds, so the siting check reads them like
the packaged stand-ins.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

import shapely
from geopandas import GeoDataFrame

from fzgeo import _resources, io
from fzgeo.crs import to_storage, to_work
from fzgeo.errors import (
    ConfigError,
    DataNotFoundError,
    GeometryError,
    InputError,
    RepairWarning,
    UnknownLayerError,
)
from fzgeo.geom import POLYGON_TYPES
from fzgeo.plan import layers, schema

PROFILE_FOLDER = "profiles"
#: Columns fzgeo fills itself; a profile may not map onto them.
OWN_COLUMNS = ("precision", "source", "source_line", "plan_term", "inventory_id", "area_km2")
#: Fields GIS software adds; reported apart from the real unmapped attributes.
SYSTEM_FIELDS = {"OBJECTID", "FID", "SHAPE_LENGTH", "SHAPE_AREA", "SHAPE_LENG", "OID"}
AREA_UNITS_M2 = {"m2": 1.0, "hm2": 10_000.0, "mu": 10_000.0 / 15.0, "km2": 1_000_000.0}
AREA_TOLERANCE = 0.01  #: declared vs computed area may differ by this share before it is reported


@dataclass(frozen=True)
class FieldRule:
    """How one target column is filled: candidate source fields, code table or text template."""

    target: str
    candidates: tuple[str, ...]
    values: Mapping[str, Any] | None = None
    template: str | None = None


@dataclass(frozen=True)
class Profile:
    """A field-mapping profile: source layers and field rules per layer kind."""

    name: str
    layers: Mapping[str, tuple[tuple[str, ...], tuple[FieldRule, ...]]]
    defaults: Mapping[str, Any] = field(default_factory=dict)
    declared_area_unit: str = "m2"
    where: str = ""


@dataclass
class LayerReport:
    """What happened to one source layer."""

    source_layer: str
    kind: str
    crs: str
    features_read: int
    features_written: int
    mapped: dict[str, str] = field(default_factory=dict)  #: target column -> source field
    not_found: list[str] = field(default_factory=list)  #: targets none of whose fields exist
    unmapped_fields: list[str] = field(default_factory=list)  #: kept as src_<FIELD>
    system_fields: list[str] = field(default_factory=list)
    unmapped_values: dict[str, list[str]] = field(default_factory=dict)
    names_synthesized: int = 0
    repaired: list[str] = field(default_factory=list)  #: features whose geometry was changed
    repair_notes: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)  #: same geometry as an earlier feature
    area_mismatch: list[str] = field(default_factory=list)
    area_ratio_median: float | None = None


@dataclass
class LoadReport:
    """Everything :func:`load` could not map, per source layer and overall."""

    path: str
    profile: str
    layers: list[LayerReport] = field(default_factory=list)
    kinds_without_data: dict[str, list[str]] = field(default_factory=dict)
    ignored_layers: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)

    def to_json(self) -> str:
        """Indented JSON, UTF-8 text."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def text(self) -> str:
        """A human summary, one block per source layer."""
        return report_text(self)


@dataclass
class OfficialData:
    """Loaded layers (kind name -> GeoDataFrame in EPSG:4490) and the mapping report."""

    layers: dict[str, GeoDataFrame]
    report: LoadReport


def available_profiles() -> list[str]:
    """Names of the shipped profiles (``gb``, ...)."""
    names = _resources.listing("layers", ".yaml", PROFILE_FOLDER)
    return [n.split("/")[-1].removeprefix("sanqu_").removesuffix(".yaml") for n in names]


def read_profile(profile: str | Path | Mapping[str, Any]) -> Profile:
    """A shipped profile by name, a profile YAML file, or a profile mapping, checked."""
    if isinstance(profile, Mapping):
        return _parse_profile(profile, where="profile")
    path = Path(profile)
    if path.suffix.lower() in (".yaml", ".yml"):
        if not path.is_file():
            raise DataNotFoundError("profile file not found", path=path)
        where = str(path)
        text = path.read_text(encoding="utf-8")
    else:
        if str(profile) not in available_profiles():
            msg = f"no profile {str(profile)!r}; shipped: {', '.join(available_profiles())}"
            raise ConfigError(msg, hint="pass a shipped name or the path of a profile .yaml")
        where = f"layers/{PROFILE_FOLDER}/sanqu_{profile}.yaml"
        text = _resources.read_text("layers", f"{PROFILE_FOLDER}/sanqu_{profile}.yaml")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML ({exc})", path=where) from exc
    if not isinstance(data, Mapping):
        raise ConfigError("a profile must be a mapping with a `layers` key", path=where)
    return _parse_profile(data, where=where)


def _parse_profile(data: Mapping[str, Any], *, where: str) -> Profile:
    if not isinstance(data.get("layers"), Mapping) or not data["layers"]:
        raise ConfigError("a profile needs a non-empty `layers` mapping", path=where)
    unit = str(data.get("declared_area_unit", "m2"))
    if unit not in AREA_UNITS_M2:
        raise ConfigError(f"declared_area_unit must be one of {list(AREA_UNITS_M2)}", path=where)
    parsed = {}
    for kind_name, spec in data["layers"].items():
        kind = layers.kind(kind_name)
        if kind.geometry_type != "Polygon":
            raise ConfigError(f"layer kind {kind_name!r} is not a polygon kind", path=where)
        sources = tuple(str(s) for s in (spec.get("source_layers") or ()))
        rules = tuple(
            _parse_rule(kind, target, rule, where)
            for target, rule in (spec.get("fields") or {}).items()
        )
        parsed[kind_name] = (sources, rules)
    return Profile(
        name=str(data.get("name", where)),
        layers=parsed,
        defaults=dict(data.get("defaults") or {}),
        declared_area_unit=unit,
        where=where,
    )


def _parse_rule(kind: schema.LayerKind, target: str, rule: Any, where: str) -> FieldRule:
    known = [c.name for c in kind.all_columns if c.name not in OWN_COLUMNS]
    if target not in known:
        msg = f"layer {kind.name}: cannot map onto {target!r}; columns: {', '.join(known)}"
        raise ConfigError(msg, path=where)
    if isinstance(rule, str):
        rule = [rule]
    if isinstance(rule, list):
        return FieldRule(target, tuple(str(r) for r in rule))
    if isinstance(rule, Mapping) and rule.get("from"):
        src = rule["from"]
        return FieldRule(
            target,
            tuple(str(r) for r in ([src] if isinstance(src, str) else src)),
            values=rule.get("values"),
            template=rule.get("template"),
        )
    raise ConfigError(f"layer {kind.name}, field {target}: cannot read rule {rule!r}", path=where)


def _source_layers(path: Path, kind: str | None, layer: str | None) -> list[tuple[str, str | None]]:
    """(layer name, GDAL layer or .shp path) pairs of the input to read."""
    found: list[tuple[str, str | None]]
    if path.is_dir() and path.suffix.lower() != ".gdb":
        found = [(p.stem, str(p)) for p in sorted(path.glob("*.shp"))]
        if not found:
            raise InputError("folder holds no .shp file and is not a .gdb", path=path, code="FZ302")
    elif path.suffix.lower() in (".gpkg", ".gdb"):
        found = [(name, name) for name in io.list_layers(path)]
    else:
        return [(layer or kind or path.stem, None)]
    if layer is not None:
        chosen = [f for f in found if f[0] == layer]
        if not chosen:
            names = ", ".join(n for n, _ in found)
            raise UnknownLayerError(f"no layer {layer!r}; the input holds: {names}", path=path)
        return chosen
    if kind is not None and len(found) > 1:
        names = ", ".join(n for n, _ in found)
        msg = f"{len(found)} layers ({names}); with --kind, name the one to read with --layer"
        raise InputError(msg, path=path, code="FZ303")
    return found


def _match(name: str, profile: Profile, kind: str | None) -> str | None:
    if kind is not None:
        return kind
    for kind_name, (sources, _) in profile.layers.items():
        if name.upper() in {s.upper() for s in sources}:
            return kind_name
    return None


def load(
    path: str | Path,
    *,
    profile: str | Path | Mapping[str, Any] = "gb",
    kind: str | None = None,
    layer: str | None = None,
    assume_crs: object | None = None,
    encoding: str | None = None,
) -> OfficialData:
    """Load official 三区三线 data into fzgeo layer kinds.

    Parameters
    ----------
    path
        A File GDB (``.gdb`` folder), GeoPackage, Shapefile, a folder of Shapefiles, or any single
        layer file :func:`fzgeo.io.read` reads.
    profile
        A shipped profile name (``"gb"``), the path of a profile YAML, or a profile mapping.
    kind
        The layer kind the data holds, when its layer name does not say (e.g. a Shapefile called
        ``redline.shp``); with a multi-layer input, ``layer`` must name the one layer to read.
    layer
        Read only this layer of a GeoPackage, File GDB or folder of Shapefiles.
    assume_crs
        The CRS to take when the data declares none (see :func:`fzgeo.crs.resolve_crs`).
    encoding
        Attribute encoding of Shapefiles (e.g. ``gbk``).

    Returns
    -------
    OfficialData
        The layers (kind -> GeoDataFrame, EPSG:4490, precision ``official``) and the report.
    """
    path = Path(path)
    prof = read_profile(profile)
    if kind is not None:
        layers.kind(kind)  # unknown kind: a clear error listing the kinds
        if kind not in prof.layers:
            prof = replace(prof, layers={**prof.layers, kind: ((), ())})
    report = LoadReport(path=str(path), profile=prof.name)
    frames: dict[str, list[GeoDataFrame]] = {}
    for name, gdal_layer in _source_layers(path, kind, layer):
        target = _match(name, prof, kind)
        if target is None:
            report.ignored_layers.append(name)
            continue
        src = Path(gdal_layer) if gdal_layer and gdal_layer.endswith(".shp") else path
        layer_arg = None if src != path or gdal_layer is None else gdal_layer
        raw = io.read(src, layer=layer_arg, assume_crs=assume_crs, encoding=encoding, what=target)
        gdf, lrep = _convert(raw, name, target, prof, path)
        frames.setdefault(target, []).append(gdf)
        report.layers.append(lrep)
    for kind_name, (sources, _) in prof.layers.items():
        if kind_name not in frames:
            report.kinds_without_data[kind_name] = list(sources)
    out = {
        k: schema.validate(pd.concat(v, ignore_index=True), layers.kind(k), path=path)
        for k, v in frames.items()
    }
    return OfficialData(
        layers={k: GeoDataFrame(v, crs=v.crs) for k, v in out.items()}, report=report
    )


def _convert(
    raw: GeoDataFrame, name: str, kind_name: str, prof: Profile, path: Path
) -> tuple[GeoDataFrame, LayerReport]:
    kind = layers.kind(kind_name)
    _, rules = prof.layers[kind_name]
    rep = LayerReport(
        source_layer=name,
        kind=kind_name,
        crs=raw.crs.to_string(),
        features_read=len(raw),
        features_written=len(raw),
    )
    from fzgeo.io.repair import labels

    raw = raw.reset_index(drop=True)
    ids = labels(raw)
    geoms = _geometries(raw, ids, rep, path, name)
    data, used = _map_fields(raw, rules, rep)
    _keep_unmapped(raw, used, data, rep)
    data["name"] = _names(data, len(raw), kind.name_zh, rep)
    for col, value in {"status": "existing", **prof.defaults}.items():
        data[col] = data[col].where(data[col].notna(), value) if col in data else value
    if "county" not in data and "xzqmc" in data and "county" in kind.aliases_zh:
        data["county"] = data["xzqmc"]
    data["precision"] = "official"
    stamp = f"官方数据 (official), mapped with profile {prof.name}"
    data["note"] = (
        data["note"].map(lambda v: stamp if v is None else f"{stamp}; {v}")
        if "note" in data
        else stamp
    )
    data["source"] = f"{path.name}, layer {name} (official data, profile {prof.name})"
    gdf = to_storage(GeoDataFrame(data, geometry=geoms, crs=raw.crs), what=name)
    gdf["area_km2"] = (to_work(gdf).area / 1e6).round(6)
    _check_areas(gdf, ids, prof.declared_area_unit, rep)
    return gdf, rep


def _geometries(raw: GeoDataFrame, ids: list[str], rep: LayerReport, path: Path, name: str) -> Any:
    """2-D polygon geometries, one per feature, repaired where needed; unusable ones are an error.

    Valid polygon layers (the usual case) skip the per-feature repair; only duplicates are
    looked for. Anything else goes through :func:`fzgeo.io.repair.repair`, which accounts for every
    feature.
    """
    geoms = shapely.force_2d(np.asarray(raw.geometry.values, dtype=object))
    fine = (
        ~shapely.is_missing(geoms)
        & ~shapely.is_empty(geoms)
        & np.isin(shapely.get_type_id(geoms), POLYGON_TYPES)
        & shapely.is_valid(geoms)
    )
    if fine.all():
        keys = pd.Series(shapely.to_wkb(shapely.normalize(geoms)))
        rep.duplicates = [ids[i] for i in np.flatnonzero(keys.duplicated().to_numpy())]
        return geoms
    return _repaired(raw.set_geometry(geoms), rep, path, name)


def _repaired(raw: GeoDataFrame, rep: LayerReport, path: Path, name: str) -> Any:
    from fzgeo.io import repair

    fixed = repair.repair(raw, path=str(path), polygon_layer=True)
    statuses = fixed.statuses
    unusable = statuses.loc[~statuses["usable"]]
    if len(unusable):
        listing = "; ".join(
            f"{f}: {s}" for f, s in zip(unusable["feature"], unusable["status"], strict=True)
        )
        msg = f"layer {name}: {len(unusable)} feature(s) cannot be used ({listing})"
        raise GeometryError(
            msg, path=path, hint="fix or delete them in the source; fzgeo drops none"
        )
    status = statuses["status"]
    rep.repaired = statuses.loc[status.isin(("repaired", "dissolved")), "feature"].tolist()
    rep.duplicates = statuses.loc[status == "duplicate", "feature"].tolist()
    rep.repair_notes = [str(f) for f in fixed.findings]
    if rep.repaired:
        warnings.warn(
            f"{path}, layer {name}: repaired {len(rep.repaired)} geometr(ies): "
            f"{', '.join(rep.repaired[:5])}",
            RepairWarning,
            stacklevel=5,
        )
    return fixed.frame.geometry.values


def _find(raw: GeoDataFrame, candidates: tuple[str, ...]) -> str | None:
    upper = {str(c).upper(): c for c in raw.columns if c != raw.geometry.name}
    return next((upper[c.upper()] for c in candidates if c.upper() in upper), None)


def _map_fields(
    raw: GeoDataFrame, rules: tuple[FieldRule, ...], rep: LayerReport
) -> tuple[dict[str, Any], set[str]]:
    data: dict[str, Any] = {}
    used: set[str] = set()
    for rule in rules:
        src = _find(raw, rule.candidates)
        if src is None:
            rep.not_found.append(f"{rule.target} (looked for {', '.join(rule.candidates)})")
            continue
        used.add(src)
        rep.mapped[rule.target] = src
        values = raw[src].astype(object).where(raw[src].notna(), None)
        if rule.values is not None:
            table = {str(k): v for k, v in rule.values.items()}
            unknown = sorted({str(v) for v in values if v is not None and str(v) not in table})
            if unknown:
                rep.unmapped_values[rule.target] = unknown
            values = values.map(lambda v, t=table: t.get(str(v), v) if v is not None else None)
        if rule.template is not None:
            values = values.map(lambda v, t=rule.template: t.format(v) if v is not None else None)
        data[rule.target] = pd.Series(values, index=raw.index)
    return data, used


def _keep_unmapped(
    raw: GeoDataFrame, used: set[str], data: dict[str, Any], rep: LayerReport
) -> None:
    for col in raw.columns:
        if col == raw.geometry.name or col in used:
            continue
        if str(col).upper() in SYSTEM_FIELDS:
            rep.system_fields.append(str(col))
            continue
        rep.unmapped_fields.append(str(col))
        data[f"src_{col}"] = raw[col]


def _names(data: dict[str, Any], n: int, name_zh: str, rep: LayerReport) -> pd.Series:
    """The mapped names; where there is none, ``生态保护红线（标识码 …）`` or ``（第 n 个要素）``."""
    names = data.get("name", pd.Series([None] * n, dtype=object))
    names = names.astype(object).where(names.notna(), None)
    missing = names.isna() | (names.astype(str).str.strip() == "")
    rep.names_synthesized = int(missing.sum())
    bsm = data.get("bsm", pd.Series([None] * n, dtype=object, index=names.index))
    fallback = [
        f"{name_zh}（标识码 {b}）"
        if b is not None and pd.notna(b)
        else f"{name_zh}（第 {i + 1} 个要素）"
        for i, b in enumerate(bsm)
    ]
    return names.where(~missing, pd.Series(fallback, index=names.index))


def _check_areas(gdf: GeoDataFrame, ids: list[str], unit: str, rep: LayerReport) -> None:
    if "declared_area" not in gdf.columns:
        return
    raw = gdf["declared_area"]
    declared = pd.to_numeric(raw, errors="coerce")
    text = raw.notna() & declared.isna()
    if text.any():  # kept verbatim beside the numbers, and reported
        source = rep.mapped["declared_area"]
        gdf[f"src_{source}"] = raw.astype(object).where(raw.notna(), None)
        rep.unmapped_values["declared_area"] = sorted({str(v) for v in raw[text]})
    gdf["declared_area"] = declared
    computed_m2 = gdf["area_km2"] * 1e6
    ok = declared.notna() & (computed_m2 > 0)
    if not ok.any():
        return
    ratio = declared[ok] * AREA_UNITS_M2[unit] / computed_m2[ok]
    rep.area_ratio_median = round(float(ratio.median()), 6)
    off = ratio[(ratio - 1).abs() > AREA_TOLERANCE]
    rep.area_mismatch = [ids[int(i)] for i in off.index]


def report_text(report: LoadReport) -> str:
    """The report as text: per layer, what was mapped, kept aside, repaired or mismatched."""
    out = [f"{report.path} (profile {report.profile})"]
    for lr in report.layers:
        out.append(
            f"  {lr.source_layer} -> {lr.kind}: {lr.features_read} read, "
            f"{lr.features_written} written, CRS {lr.crs}"
        )
        mapped = ", ".join(f"{t}<-{s}" for t, s in lr.mapped.items()) or "(none)"
        out.append(f"    mapped: {mapped}")
        items = [
            ("not found", lr.not_found),
            ("unmapped fields kept as src_*", lr.unmapped_fields),
            ("system fields", lr.system_fields),
            ("unmapped values", [f"{k}: {', '.join(v)}" for k, v in lr.unmapped_values.items()]),
            ("geometries repaired", lr.repaired),
            ("duplicate geometries (kept)", lr.duplicates),
            ("declared area differs by more than 1 %", lr.area_mismatch),
        ]
        out += [
            f"    {label}: {'; '.join(v[:10])}" + (" ..." if len(v) > 10 else "")
            for label, v in items
            if v
        ]
        if lr.names_synthesized:
            out.append(f"    names made from the feature id: {lr.names_synthesized}")
        if lr.area_ratio_median is not None and abs(lr.area_ratio_median - 1) > AREA_TOLERANCE:
            out.append(
                f"    declared/computed area ratio {lr.area_ratio_median:g}: check "
                "declared_area_unit in the profile (m2, hm2, mu, km2)"
            )
    for kind, sources in report.kinds_without_data.items():
        out.append(f"  no data for {kind} (looked for layers {', '.join(sources) or '-'})")
    if report.ignored_layers:
        out.append(f"  layers not in the profile, not read: {', '.join(report.ignored_layers)}")
    return "\n".join(out)
