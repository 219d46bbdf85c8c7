"""The layer registry: every layer kind fzgeo knows, and how each is built.

Kinds are data: one YAML file per kind in ``layers/kinds/`` (schema, style key, map group and a
``build`` section). ``build.type`` is one of

``file``
    a packaged vector file in ``layers/`` (``file:``), with ``defaults:`` for provenance columns;
``placed``
    a packaged YAML of features whose geometry is placed from named places
    (``file:``, see :mod:`fzgeo.plan.placement`);
``python``
    a function ``fzgeo.<module>:<name>`` taking a :class:`~fzgeo.plan.context.BuildContext` and
    returning a GeoDataFrame, for layers derived from other layers (``function:``).

Every builder, placement included, gets a :class:`~fzgeo.plan.context.BuildContext` holding the
kind and this module's :func:`load`, and reads other layers only through it (a dependency cycle
between layers is a :class:`~fzgeo.errors.ConfigError`): the registry imports its builders,
never the reverse. Every built layer is validated against its kind. ``load(name)`` builds once
per process and returns a copy.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

import pandas as pd
import yaml

from geopandas import GeoDataFrame

from fzgeo import _resources
from fzgeo.crs import to_storage, to_work
from fzgeo.errors import ConfigError, UnknownLayerError
from fzgeo.plan import placement, schema
from fzgeo.plan.context import BuildContext
from fzgeo.plan.schema import LayerKind

KIND_FOLDER = "kinds"


@cache
def _kinds() -> dict[str, LayerKind]:
    found: dict[str, LayerKind] = {}
    for name in _resources.listing("layers", ".yaml", KIND_FOLDER):
        data = yaml.safe_load(_resources.read_text("layers", name))
        try:
            kind = LayerKind.from_mapping(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"invalid layer kind ({exc})", path=f"layers/{name}") from exc
        if kind.name in found:
            raise ConfigError(f"layer kind {kind.name!r} defined twice", path=f"layers/{name}")
        found[kind.name] = kind
    return found


def available() -> list[str]:
    """Names of every registered layer kind, in registry order (by group, then name)."""
    kinds = _kinds()
    return sorted(kinds, key=lambda n: (kinds[n].group, n))


def kind(name: str) -> LayerKind:
    """The layer kind called ``name``."""
    kinds = _kinds()
    if name not in kinds:
        msg = f"unknown layer kind {name!r}; available: {', '.join(available())}"
        raise UnknownLayerError(msg)
    return kinds[name]


def _apply_defaults(gdf: GeoDataFrame, defaults: dict[str, Any]) -> GeoDataFrame:
    for col, value in defaults.items():
        if col not in gdf.columns:
            gdf[col] = value
        else:
            gdf[col] = gdf[col].where(gdf[col].notna(), value)
    return gdf


def _build_file(ctx: BuildContext) -> GeoDataFrame:
    from fzgeo import io

    spec = ctx.kind.build
    with _resources.packaged_path("layers", spec["file"]) as path:
        gdf = io.read(path, what=f"layer {ctx.kind.name}")
    return to_storage(gdf)


def _build_placed(ctx: BuildContext) -> GeoDataFrame:
    text = _resources.read_text("layers", ctx.kind.build["file"])
    return placement.features_to_gdf(yaml.safe_load(text), kind=ctx.kind, load=ctx.load)


def _build_python(ctx: BuildContext) -> GeoDataFrame:
    target = ctx.kind.build["function"]
    module_name, _, attr = target.partition(":")
    if not module_name.startswith("fzgeo.") or not attr:
        raise ConfigError(f"builder must be 'fzgeo.<module>:<function>', got {target!r}")
    func: Callable[[BuildContext], GeoDataFrame] = getattr(
        importlib.import_module(module_name), attr
    )
    return func(ctx)


_BUILDERS: dict[str, Callable[[BuildContext], GeoDataFrame]] = {
    "file": _build_file,
    "placed": _build_placed,
    "python": _build_python,
}


_BUILDING: list[str] = []  #: layers being built, innermost last, to report cycles


@cache
def _build_cached(name: str) -> GeoDataFrame:
    if name in _BUILDING:
        chain = " -> ".join([*_BUILDING[_BUILDING.index(name) :], name])
        raise ConfigError(f"layer build cycle: {chain}")
    _BUILDING.append(name)
    try:
        return _build(name)
    finally:
        _BUILDING.pop()


def _build(name: str) -> GeoDataFrame:
    k = kind(name)
    btype = k.build.get("type")
    if btype not in _BUILDERS:
        raise ConfigError(
            f"layer kind {name!r}: build.type must be one of {sorted(_BUILDERS)}, got {btype!r}"
        )
    gdf = _BUILDERS[btype](BuildContext(kind=k, load=load))
    gdf = _apply_defaults(gdf, dict(k.build.get("defaults") or {}))
    if k.build.get("area_km2"):
        gdf["area_km2"] = (to_work(gdf).area / 1e6).round(3)
    gdf = gdf.reset_index(drop=True)
    return schema.validate(gdf, k, path=f"layers/{KIND_FOLDER}/{name}.yaml")


def load(name: str) -> GeoDataFrame:
    """The packaged layer ``name``, built and validated, in EPSG:4490."""
    return _build_cached(name).copy()


def build_all(names: Iterable[str] | None = None) -> dict[str, GeoDataFrame]:
    """Build every layer kind (or those named), in registry order."""
    return {name: load(name) for name in (names or available())}


def summary(layers: dict[str, GeoDataFrame]) -> pd.DataFrame:
    """One row per layer: name, 中文名, geometry type, feature count and precision mix."""
    rows = []
    for name, gdf in layers.items():
        k = kind(name)
        mix = gdf["precision"].value_counts().sort_index()
        rows.append(
            {
                "layer": name,
                "中文名": k.name_zh,
                "group": k.group,
                "geometry": k.geometry_type,
                "features": len(gdf),
                "crs": gdf.crs.to_string() if gdf.crs else "",
                "precision": ", ".join(f"{p} {n}" for p, n in mix.items()),
            }
        )
    return pd.DataFrame(rows)
