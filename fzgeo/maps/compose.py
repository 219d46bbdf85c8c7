"""Map compositions: which layers a map shows, grouped how, seen from where, on which basemap.

A composition is data, one YAML file per map in ``maps/`` (installed as ``fzgeo._maps``)::

    key: transport                  # must match the file name
    title: 抚州市综合交通规划示意图     # shown in the page title and the map
    description: ...                # one line, on the published index page
    layers:                         # names of layer kinds, in drawing order (first at the bottom)
      - admin_boundaries
      - {layer: airports, visible: false}   # listed in the control, off at first
    # or select by group:  layers: {groups: [交通, 基础]}   or   layers: all
    groups: [三区三线, 城市结构, 交通, 产业, 生态, 基础]   # order in the layer control
    hidden_groups: [安全, 文旅]       # listed in the control, switched off when the map opens
    view: fit                       # or {fit: [check_sites]} or {center: [27.95, 116.36], zoom: 9}
    basemap: osm                    # osm | tianditu | amap | none (see fzgeo.maps.basemaps)
    detail_zoom: 14                 # display tolerance = one pixel at this zoom (fzgeo.maps.simplify)
    check_styles: {sites: STYLE, conflict_parts: STYLE}   # only the conflict map (fzgeo.maps.conflict)

A composition that names a layer kind that does not exist is a :class:`~fzgeo.errors.ConfigError`
naming the file and listing the available kinds. :class:`MapLayer` is what the renderer draws: a
layer kind, its style and its features; tests and the conflict map build them directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from geopandas import GeoDataFrame

from fzgeo import _resources, styles
from fzgeo.errors import ConfigError, UnknownLayerError
from fzgeo.maps import basemaps
from fzgeo.maps.simplify import DEFAULT_DETAIL_ZOOM
from fzgeo.plan import layers
from fzgeo.plan.schema import LayerKind
from fzgeo.styles import Style

#: The layer-control order of the plan's map groups; groups not listed follow in name order.
GROUP_ORDER = ("三区三线", "城市结构", "交通", "产业", "生态", "安全", "文旅", "基础")
_KEYS = {
    "key",
    "title",
    "description",
    "layers",
    "groups",
    "view",
    "basemap",
    "detail_zoom",
    "check_styles",
    "hidden_groups",
}
ADHOC = "map"  #: the key of a composition of named layers (:func:`adhoc`)


@dataclass(frozen=True)
class LayerRef:
    """One layer of a composition: the kind's name and whether it is on when the map opens."""

    name: str
    visible: bool = True


@dataclass(frozen=True)
class MapSpec:
    """A parsed map composition."""

    key: str
    title: str
    layers: tuple[LayerRef, ...]
    description: str = ""
    groups: tuple[str, ...] = GROUP_ORDER
    center: tuple[float, float] | None = None  #: (lat, lon); None fits the layers
    zoom: int = 9
    basemap: str = "osm"
    detail_zoom: float = DEFAULT_DETAIL_ZOOM
    check_styles: Mapping[str, Any] = field(default_factory=dict)  #: see fzgeo.maps.conflict
    fit_to: tuple[str, ...] = ()  #: layers whose extent the view fits (empty: all)

    @property
    def needs_check(self) -> bool:
        """Whether the map draws a ``fzgeo check`` result (it has ``check_styles``)."""
        return bool(self.check_styles)

    @property
    def where(self) -> str:
        """Where the composition comes from, for messages."""
        return "command line" if self.key == ADHOC else f"maps/{self.key}.yaml"


ILLUSTRATIVE = "illustrative"  #: the ``precision`` value of 示意 features (stand-ins, inferred sites)
#: The banner a map shows under its title when a packaged plan layer on it holds 示意 features.
PLAN_NOTICE = (
    "示意：图中部分要素为示意数据（内置示意图层或按规划文字推定的位置，图例中标“示意”），"
    "并非官方数据，仅供参考。"
)


def has_illustrative(gdf: GeoDataFrame) -> bool:
    """Whether a layer holds a feature of ``precision`` illustrative (示意)."""
    return "precision" in gdf and bool((gdf["precision"].astype(str) == ILLUSTRATIVE).any())


@dataclass
class MapLayer:
    """A layer as the renderer draws it."""

    id: str
    kind: LayerKind
    style: Style
    gdf: GeoDataFrame
    visible: bool = True
    notice: str = ""  #: a disclaimer the map shows under its title (e.g. 示意 data used)

    @property
    def group(self) -> str:
        """The layer-control group (the kind's ``group``, or 其他)."""
        return self.kind.group or "其他"


def _layer_refs(value: Any, where: str) -> tuple[LayerRef, ...]:
    if value == "all":
        return tuple(LayerRef(n) for n in layers.available())
    if isinstance(value, Mapping) and set(value) == {"groups"}:
        wanted = list(value["groups"])
        return tuple(LayerRef(n) for n in layers.available() if layers.kind(n).group in wanted)
    if not isinstance(value, Sequence) or isinstance(value, str) or not value:
        raise ConfigError(f"{where}: 'layers' must be 'all', {{groups: [...]}} or a list of names")
    refs = []
    for item in value:
        if isinstance(item, str):
            refs.append(LayerRef(item))
        elif isinstance(item, Mapping) and "layer" in item:
            refs.append(LayerRef(str(item["layer"]), bool(item.get("visible", True))))
        else:
            raise ConfigError(f"{where}: layer entry {item!r} must be a name or {{layer: NAME}}")
    return tuple(refs)


def _view(value: Any, where: str) -> tuple[tuple[float, float] | None, int, tuple[str, ...]]:
    if value in (None, "fit"):
        return None, 9, ()
    if isinstance(value, Mapping) and set(value) == {"fit"}:
        return None, 9, tuple(str(v) for v in value["fit"])
    try:
        lat, lon = (float(v) for v in value["center"])
        return (lat, lon), int(value.get("zoom", 9)), ()
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(
            f"{where}: 'view' must be 'fit', {{fit: [layer, ...]}} or {{center: [lat, lon], zoom: Z}}"
        ) from exc


def _group_of(name: str) -> str | None:
    return layers.kind(name).group if name in layers.available() else None


def parse(data: Mapping[str, Any], *, where: str) -> MapSpec:
    """Parse a composition (the YAML mapping); ``where`` names it in messages."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}: a map composition must be a mapping")
    unknown = set(data) - _KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)}; known: {sorted(_KEYS)}")
    for key in ("key", "title", "layers"):
        if key not in data:
            raise ConfigError(f"{where}: missing key {key!r}")
    basemap = str(data.get("basemap", "osm"))
    if basemap not in basemaps.NAMES:
        raise ConfigError(f"{where}: basemap must be one of {basemaps.NAMES}, got {basemap!r}")
    center, zoom, fit_to = _view(data.get("view"), where)
    hidden = set(data.get("hidden_groups") or ())
    refs = tuple(
        LayerRef(r.name, r.visible and _group_of(r.name) not in hidden)
        for r in _layer_refs(data["layers"], where)
    )
    return MapSpec(
        key=str(data["key"]),
        title=str(data["title"]),
        layers=refs,
        description=str(data.get("description", "")),
        groups=tuple(data.get("groups") or GROUP_ORDER),
        center=center,
        zoom=zoom,
        basemap=basemap,
        detail_zoom=float(data.get("detail_zoom", DEFAULT_DETAIL_ZOOM)),
        check_styles=dict(data.get("check_styles") or {}),
        fit_to=fit_to,
    )


@cache
def _specs() -> dict[str, MapSpec]:
    return _resources.keyed_yaml("maps", parse)


def available() -> list[str]:
    """Keys of every shipped map composition."""
    return sorted(_specs())


def spec(key: str) -> MapSpec:
    """The shipped composition ``key``; another key is a :class:`~fzgeo.errors.ConfigError`."""
    if key not in _specs():
        raise ConfigError(f"no map {key!r}; available: {', '.join(available())}")
    return _specs()[key]


def adhoc(names: Sequence[str], *, title: str | None = None) -> MapSpec:
    """A composition of the named layer kinds (key :data:`ADHOC`), each visible, fitted to them."""
    refs = tuple(LayerRef(n) for n in names)
    label = title or "、".join(_kind(n, "command line").name_zh for n in names)
    return MapSpec(key=ADHOC, title=label, layers=refs)


def _kind(name: str, where: str) -> LayerKind:
    try:
        return layers.kind(name)
    except UnknownLayerError as exc:
        raise ConfigError(
            f"{where}: layer {name!r} does not exist; available: {', '.join(layers.available())}",
            hint="build the layer first or remove it from the composition",
        ) from exc


def resolve(map_spec: MapSpec, *, where: str | None = None) -> list[MapLayer]:
    """Load every layer of a composition (validated, EPSG:4490) with its kind and style.

    A layer holding 示意 features carries :data:`PLAN_NOTICE`, which the map shows under its
    title. ``where`` names the composition in messages (default :attr:`MapSpec.where`).
    """
    where = where or map_spec.where
    kinds = [(_kind(ref.name, where), ref) for ref in map_spec.layers]
    out = []
    for kind, ref in kinds:
        try:
            style = styles.style(kind.style)
        except UnknownLayerError as exc:
            raise ConfigError(f"{where}: layer {kind.name!r} has no style {kind.style!r}") from exc
        gdf = layers.load(kind.name)
        out.append(MapLayer(kind.name, kind, style, gdf, ref.visible, notice=PLAN_NOTICE if has_illustrative(gdf) else ""))
    return out


def order_groups(map_layers: Sequence[MapLayer], preferred: Sequence[str]) -> list[str]:
    """The groups present, in ``preferred`` order, others after in name order."""
    present = {ml.group for ml in map_layers}
    first = [g for g in preferred if g in present]
    return first + sorted(present - set(first))
