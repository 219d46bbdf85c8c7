"""A static web site of maps: an index page, the maps, their thumbnails and shared assets.

``fzgeo publish DIR`` writes::

    DIR/index.html          every map: title, date, description, data sources, thumbnail, link
    DIR/<map>.html          the maps, linking Leaflet and plugins from ./assets/ (relative)
    DIR/thumbs/<map>.png    thumbnails drawn with matplotlib from the same style specs
    DIR/assets/             the packaged assets with their licences (fzgeo.maps.offline)

Every link is relative, so the folder can be served as is by any web server or opened from an
intranet share. The maps carry no basemap and make no external request unless a basemap is asked for.
"""

from __future__ import annotations

import io as _bytes_io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from fzgeo._atomic import prepare_folder, write_bytes, write_text
from fzgeo.maps import compose, conflict, offline, render
from fzgeo.maps.compose import MapLayer, MapSpec
from fzgeo.styles import Symbol
from fzgeo.textsafe import escape_html as esc

if TYPE_CHECKING:
    from geopandas import GeoDataFrame

MAX_SOURCES = 3  #: distinct ``source`` values listed per layer on the index page


@dataclass(frozen=True)
class PublishedMap:
    """One map of a site, as the index lists it."""

    key: str
    title: str
    description: str
    sources: tuple[str, ...]
    html: str  #: relative path of the map page
    thumb: str  #: relative path of the thumbnail


def sources(map_layers: Sequence[MapLayer]) -> tuple[str, ...]:
    """One line per layer: its Chinese name and its distinct data sources (at most a few)."""
    lines = []
    for ml in map_layers:
        values = ml.gdf["source"].dropna().astype(str).unique() if "source" in ml.gdf else []
        shown = "；".join(values[:MAX_SOURCES])
        more = f" 等 {len(values)} 项" if len(values) > MAX_SOURCES else ""
        lines.append(f"{ml.kind.name_zh}：{shown or '（未注明）'}{more}")
    return tuple(lines)


#: Thumbnail size on the index page, in CSS pixels, and the pixel ratio it is drawn for.
THUMB_SIZE = (320, 240)
THUMB_SCALE = 2
#: Line widths on the thumbnail relative to the map's (the thumbnail is a zoomed-out view).
THUMB_LINE_SCALE = 0.5


def thumbnail(map_layers: Sequence[MapLayer], *, size: tuple[int, int] = THUMB_SIZE) -> bytes:
    """A PNG of the layers as the map draws them (no basemap, no text).

    Exactly ``size`` CSS pixels at :data:`THUMB_SCALE` device pixels each (640×480 for the
    index page's 320×240), the layers fitted and centred. Drawn in the map's order (areas, then
    lines, then points; line layers stroke pass by stroke pass) with each stroke's and fill's
    opacity, so translucent bands stay translucent.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dpi = 96 * THUMB_SCALE
    fig = plt.figure(figsize=(size[0] / 96, size[1] / 96), dpi=dpi)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    try:
        rank = {"polygon": 0, "line": 1, "point": 2}
        shown = [ml for ml in map_layers if ml.visible and len(ml.gdf)]
        for ml in sorted(shown, key=lambda m: rank.get(m.style.geometry, 0)):
            _draw(ax, ml)
        ax.set_axis_off()
        ax.set_aspect("equal", adjustable="datalim")
        ax.margins(0.04)
        fig.patch.set_facecolor("#f2efe9")
        buf = _bytes_io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, facecolor=fig.get_facecolor())
        return buf.getvalue()
    finally:
        plt.close(fig)


def _width(width: float) -> float:
    """A map stroke width (CSS px) as a thumbnail line width (points)."""
    return max(width * THUMB_LINE_SCALE * 72 / 96, 0.3)


def _draw(ax: object, ml: MapLayer) -> None:
    style, gdf = ml.style, ml.gdf
    field = style.category_field
    values = gdf[field] if field and field in gdf.columns else [None] * len(gdf)
    symbols = [style.symbol_for(v) for v in values]
    if style.geometry == "line":
        _draw_line_passes(ax, gdf, symbols, style.passes)
        return
    kwargs: dict[str, object] = {
        "edgecolor": [(*_rgb(s.stroke), s.opacity) if s.stroke else (0, 0, 0, 0) for s in symbols],
        "linewidth": [_width(s.width) for s in symbols],
    }
    if style.geometry == "polygon":
        # RGBA for every feature (an unfilled one fully transparent): mixing "none" with RGBA
        # tuples makes matplotlib fail on a ragged array
        kwargs["facecolor"] = [
            (*_rgb(s.fill), s.fill_opacity) if s.fill else (0.0, 0.0, 0.0, 0.0) for s in symbols
        ]
    else:
        kwargs["facecolor"] = [
            (*_rgb(s.fill), s.fill_opacity) if s.fill else (*_rgb(s.stroke or "#000000"), 1.0)
            for s in symbols
        ]
        kwargs["markersize"] = [max(s.radius * 2, 4) for s in symbols]
    gdf.plot(ax=ax, **kwargs)


def _draw_line_passes(ax: object, gdf: GeoDataFrame, symbols: list[Symbol], passes: int) -> None:
    """Lines pass by pass, bottom first (a multi-stroke symbol's casing under every centre)."""
    for i in range(passes):
        drawn = [(j, st) for j, s in enumerate(symbols) if (st := s.stroke_in_pass(i, passes))]
        if drawn:
            gdf.iloc[[j for j, _ in drawn]].plot(
                ax=ax,
                color=[(*_rgb(st.stroke), st.opacity) for _, st in drawn],
                linewidth=[_width(st.width) for _, st in drawn],
            )


def _rgb(colour: str) -> tuple[float, float, float]:
    return tuple(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]


def publish_map(
    folder: Path,
    spec: MapSpec,
    map_layers: Sequence[MapLayer],
    *,
    basemap: str | None = None,
    offline_mode: bool = False,
) -> PublishedMap:
    """Render one map into the site (assets linked from ``assets/``) and draw its thumbnail.

    ``basemap`` and ``offline_mode`` as in :func:`fzgeo.maps.render.render_spec`.
    """
    rendered = render.render_spec(
        spec, map_layers, basemap=basemap, offline_mode=offline_mode, assets="folder"
    )
    rendered.write(folder / f"{spec.key}.html")
    write_bytes(folder / "thumbs" / f"{spec.key}.png", thumbnail(map_layers))
    return PublishedMap(
        key=spec.key,
        title=spec.title,
        description=spec.description,
        sources=sources(map_layers),
        html=f"{spec.key}.html",
        thumb=f"thumbs/{spec.key}.png",
    )


def index_html(maps: Sequence[PublishedMap], *, title: str, day: str) -> str:
    """The index page (every text escaped, every link relative)."""
    cards = []
    for m in maps:
        items = "".join(f"<li>{esc(s)}</li>" for s in m.sources)
        cards.append(
            f'<article class="map"><a href="{esc(m.html)}"><img src="{esc(m.thumb)}" '
            f'alt="{esc(m.title)} 缩略图" width="{THUMB_SIZE[0]}" height="{THUMB_SIZE[1]}"></a><div><h2><a href="{esc(m.html)}">'
            f'{esc(m.title)}</a></h2><p>{esc(m.description)}</p><p class="date">生成日期：{esc(day)}</p>'
            f"<details><summary>数据来源</summary><ul>{items}</ul></details></div></article>"
        )
    licences = "；".join(offline.licences())
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{esc(title)}</h1>{''.join(cards)}"
        f'<footer>由 fzgeo 生成。地图组件：{esc(licences)}（许可见 <a href="assets/MANIFEST.json">assets/</a>）。'
        "示意要素的位置与范围仅为示意，非实测或法定数据。</footer></body></html>"
    )


_CSS = (
    "*{box-sizing:border-box}"
    "body{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:2em auto;max-width:960px;"
    "padding:0 1em;color:#222;line-height:1.5;overflow-wrap:anywhere}"
    "article.map{display:flex;gap:1.2em;margin:1.2em 0;padding:1em;border:1px solid #ddd;"
    "border-radius:6px}article.map>div{flex:1;min-width:0}"
    "article img{display:block;border:1px solid #ccc;max-width:100%;height:auto}"
    "h1{font-size:1.6em}h2{margin:0 0 .4em;font-size:1.2em}"
    ".date{color:#666;font-size:.9em}footer{color:#666;font-size:.85em;margin-top:2em}"
    "@media (max-width:640px){body{margin:1em auto;padding:0 .6em}h1{font-size:1.3em}"
    "article.map{flex-direction:column;gap:.6em;padding:.7em}article.map>a{align-self:center}}"
)


def site_maps(
    keys: Sequence[str] | None = None, check: str | Path | None = None
) -> list[tuple[MapSpec, list[MapLayer]]]:
    """The shipped maps ``keys`` with their layers, ready for :func:`publish`.

    ``check`` (a ``fzgeo check`` output folder) goes to the maps that draw a check result (the
    conflict map); ``keys=None`` means every shipped map, those maps only when ``check`` is given.
    """
    if keys is None:
        keys = [k for k in compose.available() if check or not compose.spec(k).needs_check]
    specs = [compose.spec(k) for k in keys]
    return [(s, conflict.map_layers(s, check if s.needs_check else None)) for s in specs]


def publish(
    folder: str | Path,
    entries: Sequence[tuple[MapSpec, Sequence[MapLayer]]],
    *,
    basemap: str | None = None,
    offline_mode: bool = False,
    title: str = "抚州市“十四五”规划地图",
) -> Path:
    """Write the site into ``folder`` and return the index page's path.

    ``entries`` are the maps with their layers (e.g. from :func:`site_maps`). A site is offline
    unless ``basemap`` names an online basemap: without one the maps load no tiles and, with
    the assets in ``assets/``, make no external request. ``basemap`` and ``offline_mode`` as in
    :func:`fzgeo.maps.render.render_spec`, checked before anything is written.
    """
    basemap = basemap or "none"
    for spec, _ in entries:
        render.choose_basemap(spec, basemap, offline_mode=offline_mode)
    folder = prepare_folder(Path(folder))
    offline.copy_assets(folder / "assets")
    published = [
        publish_map(folder, spec, map_layers, basemap=basemap, offline_mode=offline_mode)
        for spec, map_layers in entries
    ]
    day = date.today().isoformat()
    return write_text(folder / "index.html", index_html(published, title=title, day=day))
