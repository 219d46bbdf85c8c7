"""The printable HTML report: a summary table and a small static map of each conflicting site."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from geopandas import GeoDataFrame

from fzgeo._atomic import write_bytes, write_text
from fzgeo.check import CheckResult
from fzgeo.check.rules import CONFLICT, NEAR
from fzgeo.crs import to_work
from fzgeo.textsafe import escape_html

DETAIL_SHOWN = (
    "规则",
    "结论",
    "严重程度",
    "是否豁免",
    "重叠面积（公顷）",
    "重叠面积（亩）",
    "线内长度（米）",
    "占项目比例",
    "界外面积（平方米）",
    "最近距离（米）",
    "涉及要素名称",
)
MAX_MAPS = 200  #: static maps drawn at most (the most serious sites first)
_COLOURS = ("#1a9641", "#fdae61", "#abd9e9", "#2c7bb6", "#a6611a", "#bababa")
_VERDICT_CLASS = {CONFLICT: "conflict", NEAR: "near"}
_CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","Microsoft YaHei",sans-serif;margin:2em;color:#222}
h1{font-size:1.4em} h2{font-size:1.15em;margin-top:1.5em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
th,td{border:1px solid #999;padding:.2em .5em;text-align:left;vertical-align:top}
th{background:#eee} td.num{text-align:right}
tr.conflict td.v{background:#f8d0d0;font-weight:bold} tr.near td.v{background:#fcebc4}
.site{page-break-inside:avoid;margin-bottom:1.5em} .note{color:#555;font-size:.85em}
@media print{body{margin:1cm} a{color:#222}}
"""


@cache
def cjk_font() -> str | None:
    """The file of an installed CJK font (Noto Sans/Serif CJK) for matplotlib, if any."""
    from matplotlib import font_manager

    for font in sorted(font_manager.findSystemFonts(), key=lambda p: ("Sans" not in p, p)):
        if "CJK" in font and font.lower().endswith((".ttc", ".otf", ".ttf")):
            return font
    return None


def _table(frame: pd.DataFrame, *, verdict_col: str | None = None) -> str:
    head = "".join(f"<th>{escape_html(c)}</th>" for c in frame.columns)
    rows = []
    for _, row in frame.iterrows():
        cls = _VERDICT_CLASS.get(row.get(verdict_col, ""), "") if verdict_col else ""
        cells = []
        for col, value in row.items():
            num = isinstance(value, int | float | np.integer | np.floating)
            text = "" if value is None or (num and pd.isna(value)) else escape_html(value)
            kind = "v" if col == verdict_col else ("num" if num else "")
            cells.append(f'<td class="{kind}">{text}</td>')
        rows.append(f'<tr class="{cls}">{"".join(cells)}</tr>')
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


LABEL_COLUMNS = ("name", "名称", "项目名称", "项目", "site_name", "title")


def site_label(result: CheckResult, position: int) -> str:
    """A site's name from its first name-like attribute, else ``项目 n``."""
    row = result.sites.iloc[position]
    for col in LABEL_COLUMNS:
        if col in result.sites.columns and isinstance(row[col], str) and row[col]:
            return row[col]
    return f"项目 {position + 1}"


def _draw_site(ax: object, site: GeoDataFrame) -> None:
    if site.geom_type.iloc[0] in ("Polygon", "MultiPolygon"):
        site.boundary.plot(ax=ax, color="black", linewidth=1.2)
    else:
        site.plot(ax=ax, color="black", linewidth=1.5, markersize=20)


def site_map(
    result: CheckResult, position: int, path: Path, layers: dict[str, GeoDataFrame]
) -> Path:
    """A small PNG: the site (black), its overlap parts (red) and nearby constraint features.

    ``layers`` are in the work CRS (EPSG:4548), by display name.
    """
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt
    from matplotlib.patches import Patch

    site = to_work(result.sites.iloc[[position]])
    x0, y0, x1, y1 = site.total_bounds
    pad = max(x1 - x0, y1 - y0, 400.0) * 0.6
    box = (x0 - pad, y0 - pad, x1 + pad, y1 + pad)
    font = cjk_font()
    prop = font_manager.FontProperties(fname=font, size=7) if font else None
    fig, ax = plt.subplots(figsize=(4, 4), dpi=100)
    handles = []
    for (name, gdf), colour in zip(layers.items(), _COLOURS, strict=False):
        near = gdf.cx[box[0] : box[2], box[1] : box[3]]
        if len(near):
            near.clip(box).plot(ax=ax, color=colour, alpha=0.45, edgecolor="0.3", lw=0.5)
            handles.append(Patch(facecolor=colour, alpha=0.45, label=name))
    if len(result.parts[result.parts["site"] == position]):
        handles.append(Patch(facecolor="#d7191c", label="冲突部分"))
    if handles:
        ax.legend(handles=handles, prop=prop, loc="upper right", framealpha=0.8)
    parts = result.parts[result.parts["site"] == position]
    _draw_site(ax, site)
    if len(parts):  # drawn over the site so the parts of a line project show
        to_work(parts).plot(ax=ax, color="#d7191c", alpha=0.85, linewidth=2.5, zorder=3)
    ax.set_xlim(box[0], box[2])
    ax.set_ylim(box[1], box[3])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_title(site_label(result, position), fontproperties=prop)
    width_km = (box[2] - box[0]) / 1000
    ax.text(0.02, 0.02, f"图幅宽 {width_km:.1f} 公里", transform=ax.transAxes, fontproperties=prop)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return write_bytes(path, buf.getvalue())


def _brief(result: CheckResult) -> pd.DataFrame:
    """The compact per-site table of the HTML: name, size, overall and per-rule verdicts."""
    sites = result.sites
    ha = (sites["site_area_m2"] / 10_000).round(4)
    out = pd.DataFrame(
        {
            "序号": range(1, len(sites) + 1),
            "项目": [site_label(result, i) for i in range(len(sites))],
            "面积（公顷）": ha.to_numpy(),
            "长度（米）": sites["site_length_m"].round(2).to_numpy(),
            "综合结论": sites["verdict"].to_numpy(),
            "严重程度": sites["severity"].to_numpy(),
            "触及规则": sites["rules_hit"].to_numpy(),
        }
    )
    if result.rules.type_column in sites.columns:
        out.insert(2, "项目类型", sites[result.rules.type_column].to_numpy())
    for rule in result.rules.rules:
        verdict = sites[f"{rule.id}__verdict"].to_numpy()
        if rule.kind == "slope":
            steep = pd.to_numeric(sites[f"{rule.id}__steep_share"], errors="coerce").to_numpy()
            out[rule.name_zh] = [
                f"{v}（超限 {s:.0%}）" if s > 0 else v for v, s in zip(verdict, steep, strict=True)
            ]
            continue
        col, what = ("outside_m2", "界外") if rule.kind == "within" else ("overlap_m2", "重叠")
        column = sites.get(f"{rule.id}__{col}")
        area = (
            (pd.to_numeric(column, errors="coerce") / 10_000).round(4).to_numpy()
            if column is not None
            else np.full(len(sites), np.nan)
        )
        out[rule.name_zh] = [
            f"{v}（{what} {a:g} 公顷）" if a > 0 else v for v, a in zip(verdict, area, strict=True)
        ]
    return out


def _order(result: CheckResult) -> list[int]:
    """Sites to map: conflicts first, then 邻近, in input order; at most MAX_MAPS."""
    v = result.sites["verdict"].to_numpy()
    chosen = [i for i in range(len(v)) if v[i] == CONFLICT] + [
        i for i in range(len(v)) if v[i] == NEAR
    ]
    return chosen[:MAX_MAPS]


def write_html(
    result: CheckResult,
    tables: dict[str, pd.DataFrame],
    folder: Path,
    layers: dict[str, GeoDataFrame],
    *,
    title: str,
) -> Path:
    """``report.html`` with summary, rules, per-site table and maps in ``folder/maps/``."""
    counts = result.sites["verdict"].value_counts()
    layers = {name: to_work(gdf, what=name) for name, gdf in layers.items()}
    summary = pd.DataFrame(
        {
            "项目数": [len(result.sites)],
            "冲突": [int(counts.get(CONFLICT, 0))],
            "邻近（需复核）": [int(counts.get(NEAR, 0))],
            "无冲突": [int(counts.get("无冲突", 0))],
            "几何已修复": [result.repaired_sites],
            "跳过的规则": ["、".join(result.skipped) or "无"],
        }
    )
    brief = _brief(result)
    blocks = []
    for pos in _order(result):
        png = site_map(result, pos, folder / "maps" / f"site_{pos + 1:05d}.png", layers)
        rows = tables["details"][tables["details"]["项目序号"] == pos + 1]
        rows = rows[[c for c in DETAIL_SHOWN if c in rows.columns]]
        blocks.append(
            f'<div class="site"><h3>{escape_html(pos + 1)}. {escape_html(site_label(result, pos))}'
            f'</h3><img src="maps/{png.name}" width="320" alt="site map">'
            f"{_table(rows, verdict_col='结论')}</div>"
        )
    skipped_note = (
        f'<p class="note">未检查（跳过）的规则不代表无冲突：{escape_html("；".join(f"{k}: {v}" for k, v in result.skipped.items()))}</p>'
        if result.skipped
        else ""
    )
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    html = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{escape_html(title)}</title>
<style>{_CSS}</style></head><body>
<h1>{escape_html(title)}</h1>
<p class="note">生成时间 {stamp}；面积按 EPSG:4548（CGCS2000 高斯-克吕格 3 度带 中央经线 117°E）平面计算，
1 公顷 = 10000 平方米，1 亩 = 10000/15 平方米。</p>
<h2>汇总</h2>{_table(summary)}{skipped_note}
<h2>规则</h2>{_table(tables["rules"])}
<h2>逐项目结论</h2>{_table(brief, verdict_col="综合结论")}
<h2>冲突与邻近项目</h2>{"".join(blocks) or "<p>无</p>"}
</body></html>
"""
    return write_text(folder / "report.html", html)
