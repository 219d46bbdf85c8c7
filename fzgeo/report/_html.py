"""The printable HTML report: 示意 banner, summary, audit, rules, per-site table, site maps.

Responsive (a viewport, tables that scroll sideways inside their own box on a phone) and laid out
for A4 when printed (``@page``, page breaks before the map section and never inside a site's
block, table headers repeated on each page). Areas in m², 公顷 and 亩, shares in %, times in
Asia/Shanghai with the offset.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geopandas import GeoDataFrame

from fzgeo import __version__
from fzgeo._atomic import write_text
from fzgeo.check import M2_PER_HA, M2_PER_MU, CheckResult
from fzgeo.check.rules import CLEAR, CONFLICT, NEAR, UNCHECKED
from fzgeo.plan.schema import PRECISION_ZH
from fzgeo.report._summary import constraint_layers, notice, now, stamp
from fzgeo.report._summary import rules_files as summary_rules_files
from fzgeo.textsafe import escape_html

DETAIL_SHOWN = (
    "规则",
    "结论",
    "严重程度",
    "是否豁免",
    "重叠面积（平方米）",
    "重叠面积（公顷）",
    "重叠面积（亩）",
    "线内长度（米）",
    "占项目比例（%）",
    "界外面积（平方米）",
    "界外面积（公顷）",
    "界外面积（亩）",
    "最近距离（米）",
    "涉及要素编号",
    "涉及要素名称",
)
#: The map section's heading by ``--site-maps``.
MAP_HEADINGS = {"review": "冲突与邻近项目图件", "all": "各项目图件", "none": "项目图件"}
WRAP_FROM = 14  #: characters (escaped) above which a text column wraps
MAX_ROWS = 2000  #: rows of the per-site table at most; larger batches list 冲突 and 邻近 sites
#: How a number is shown, by the unit its column header ends with (as in the XLSX).
HTML_FORMATS = {
    "（平方米）": "{:,.2f}",
    "（公顷）": "{:,.4f}",
    "（亩）": "{:,.4f}",
    "（%）": "{:.2f}",
    "（米）": "{:,.2f}",
    "（度）": "{:.2f}",
}
_VERDICT_CLASS = {CONFLICT: "conflict", NEAR: "near"}
_CSS = """
*{box-sizing:border-box}
body{font-family:"Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC","PingFang SC",
"Microsoft YaHei",sans-serif;margin:0 auto;padding:1.5em 2em;max-width:1360px;color:#222;
line-height:1.5;-webkit-text-size-adjust:100%}
h1{font-size:1.45em;margin:.4em 0} h2{font-size:1.15em;margin:1.6em 0 .4em;
border-bottom:2px solid #555;padding-bottom:.15em} h3{font-size:1em;margin:1em 0 .4em}
.banner{border:3px solid #c00;background:#fff2cc;color:#900;font-weight:bold;padding:.7em 1em;
margin:0 0 1em;font-size:1.05em}
.meta{color:#444;font-size:.85em;margin:.2em 0} .note{color:#555;font-size:.85em}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;max-width:100%;margin:.5em 0}
table{border-collapse:collapse;font-size:.85em}
th,td{border:1px solid #999;padding:.25em .5em;text-align:left;vertical-align:top;
white-space:nowrap} th{background:#eee;font-weight:bold} td.num{text-align:right}
td.w{white-space:normal;min-width:10em;max-width:28em} thead{display:table-header-group}
tr.conflict td.v{background:#f8d0d0;font-weight:bold} tr.near td.v{background:#fcebc4}
.cards{display:flex;flex-wrap:wrap;gap:.5em;margin:.5em 0}
.card{border:1px solid #999;padding:.35em .8em;min-width:6.5em;text-align:center;background:#fafafa}
.card b{display:block;font-size:1.5em;line-height:1.2} .card span{font-size:.85em;color:#444}
.card.conflict{border-color:#c62828;background:#fbe3e3} .card.conflict b{color:#c62828}
.card.near{border-color:#e65100;background:#fdf0dc} .card.near b{color:#e65100}
.card.clear b{color:#2e7d32} .card.skipped{border-color:#e65100}
.site{margin-bottom:1.5em;border-top:1px solid #ccc;padding-top:.3em}
.site img{display:block;width:100%;max-width:800px;height:auto;border:1px solid #ccc}
@media (max-width:600px){body{padding:.8em} h1{font-size:1.2em} table{font-size:.8em}
.banner{font-size:.95em;padding:.6em}}
@page{size:A4;margin:14mm 12mm}
@media print{body{padding:0;max-width:none;font-size:10pt}
.banner,.card,tr.conflict td.v,tr.near td.v,th{-webkit-print-color-adjust:exact;print-color-adjust:exact}
.scroll{overflow:visible} table{width:100%;font-size:8pt} th,td{padding:1px 3px}
td,th{white-space:normal;word-break:break-word} td.w{min-width:0}
td.num,td.v{white-space:nowrap;word-break:normal}
h2{break-after:avoid} tr,.site img{break-inside:avoid} .site{break-inside:avoid-page}
.sites h2{break-before:page} .site img{max-width:15cm} a{color:#222;text-decoration:none}}
"""


def _cell_text(values: pd.Series, header: str) -> tuple[list[str], bool]:
    """Escaped text of each cell of a column and whether it is numeric (right-aligned)."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        pattern = (
            "{:d}"
            if values.dtype.kind in "iu"
            else next((f for unit, f in HTML_FORMATS.items() if header.endswith(unit)), "{:g}")
        )
        data = pd.to_numeric(values, errors="coerce").tolist()
        return ["" if pd.isna(v) else pattern.format(v) for v in data], True
    raw = values.astype(object).tolist()
    seen: dict[object, str] = {}
    out = []
    for v in raw:
        key = v if isinstance(v, str | int | float | bool) or v is None else str(v)
        if key not in seen:
            seen[key] = (
                "" if v is None or (isinstance(v, float) and np.isnan(v)) else escape_html(v)
            )
        out.append(seen[key])
    return out, False


def _rows(frame: pd.DataFrame, verdict_col: str | None = None) -> tuple[str, list[str]]:
    """The header row and each row of ``frame`` as HTML (built column by column).

    Headers and short cells stay on one line; columns of long texts wrap (class ``w``).
    """
    head = "<tr>" + "".join(f"<th>{escape_html(c)}</th>" for c in frame.columns) + "</tr>"
    columns = []
    for col in frame.columns:
        texts, numeric = _cell_text(frame[col], str(col))
        kind = "v" if col == verdict_col else ("num" if numeric else "")
        if not numeric and max((len(t) for t in texts), default=0) > WRAP_FROM:
            kind = f"{kind} w".strip()
        opening = f'<td class="{kind}">' if kind else "<td>"
        columns.append([f"{opening}{t}</td>" for t in texts])
    verdicts = frame[verdict_col].astype(object).tolist() if verdict_col else [None] * len(frame)
    rows = []
    for i, verdict in enumerate(verdicts):
        row_cls = _VERDICT_CLASS.get(verdict, "") if isinstance(verdict, str) else ""
        opening = f'<tr class="{row_cls}">' if row_cls else "<tr>"
        rows.append(opening + "".join(c[i] for c in columns) + "</tr>")
    return head, rows


def _wrap(head: str, rows: list[str], cls: str = "") -> str:
    """A table in a box that scrolls sideways on narrow screens."""
    table_cls = f' class="{cls}"' if cls else ""
    return (
        f'<div class="scroll"><table{table_cls}><thead>{head}</thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _table(frame: pd.DataFrame, *, verdict_col: str | None = None, cls: str = "") -> str:
    """An HTML table of ``frame`` (:func:`_rows`) in its scrolling box."""
    return _wrap(*_rows(frame, verdict_col), cls=cls)


def _site_tables(details: pd.DataFrame, positions: Sequence[int]) -> dict[int, str]:
    """Each mapped site's rule table (site position -> HTML), built in one pass.

    Columns empty for every mapped site (线内长度 of parcels, 界外 without a ``within`` rule)
    are left out.
    """
    if not positions:
        return {}
    wanted = details[details["项目序号"].isin([p + 1 for p in positions])]
    shown = wanted[[c for c in DETAIL_SHOWN if c in wanted.columns]]
    shown = shown.loc[:, [c in ("规则", "结论") or shown[c].notna().any() for c in shown.columns]]
    head, rows = _rows(shown, "结论")
    by_site: dict[int, list[str]] = {}
    for site, row in zip(wanted["项目序号"].tolist(), rows, strict=True):
        by_site.setdefault(int(site) - 1, []).append(row)
    return {p: _wrap(head, by_site.get(p, [])) for p in positions}


def _labels(result: CheckResult) -> list[str]:
    """Every site's name from its first name-like attribute, else ``项目 n`` (vectorised)."""
    from fzgeo.report._sitemaps import LABEL_COLUMNS

    sites = result.sites
    labels = np.array([f"项目 {i + 1}" for i in range(len(sites))], dtype=object)
    missing = np.ones(len(sites), dtype=bool)
    for col in (c for c in LABEL_COLUMNS if c in sites.columns):
        values = sites[col].astype(object).to_numpy()
        good = missing & np.array([isinstance(v, str) and v != "" for v in values], dtype=bool)
        labels[good] = values[good]
        missing &= ~good
    return labels.tolist()


def _area_text(m2: float, what: str) -> str:
    """``重叠 5,000.00 平方米 / 0.5000 公顷 / 7.5000 亩`` (empty for no area)."""
    if not m2 > 0:
        return ""
    return f"{what} {m2:,.2f} 平方米 / {m2 / M2_PER_HA:,.4f} 公顷 / {m2 / M2_PER_MU:,.4f} 亩"


def _brief(result: CheckResult, rows: list[int], labels: Sequence[str]) -> pd.DataFrame:
    """The per-site table of the HTML: name, size (m², 公顷, 亩), verdicts with their areas.

    A column 问题 says what was done to a site's input (repaired, duplicated, CRS assumed) or
    why it was not checked, when any listed site has such a note.

    ``labels``: every site's name (:func:`_labels`).
    """
    sites = result.sites.iloc[rows]
    m2 = pd.to_numeric(sites["site_area_m2"], errors="coerce")
    out = pd.DataFrame(
        {
            "序号": [i + 1 for i in rows],
            "项目": [labels[i] for i in rows],
            "项目面积（平方米）": m2.round(2).to_numpy(),
            "项目面积（公顷）": (m2 / M2_PER_HA).round(4).to_numpy(),
            "项目面积（亩）": (m2 / M2_PER_MU).round(4).to_numpy(),
            "项目长度（米）": pd.to_numeric(sites["site_length_m"], errors="coerce")
            .round(2)
            .to_numpy(),
            "综合结论": sites["verdict"].to_numpy(),
            "严重程度": sites["severity"].to_numpy(),
        }
    )
    if out["项目长度（米）"].isna().all() or not (out["项目长度（米）"] > 0).any():
        out = out.drop(columns="项目长度（米）")
    if "problem" in sites.columns:  # what was done to a site's input (repair, duplicate, CRS)
        issues = sites["problem"].fillna("").astype(str).to_numpy()
        if (issues != "").any():
            out["问题"] = issues
    type_col = result.rules.type_column
    if type_col and type_col in sites.columns:
        out.insert(2, "项目类型", sites[type_col].to_numpy())
    for rule in result.rules.rules:
        verdict = sites[f"{rule.id}__verdict"].astype(object).to_numpy()
        if rule.kind == "slope":
            steep = pd.to_numeric(sites.get(f"{rule.id}__steep_share"), errors="coerce")
            steep_pct = np.broadcast_to(np.asarray(steep, dtype=float) * 100, len(sites))
            out[rule.name_zh] = [
                f"{v}（超限 {s:.2f} %）" if s > 0 else v
                for v, s in zip(verdict, steep_pct, strict=True)
            ]
            continue
        col, what = ("outside_m2", "界外") if rule.kind == "within" else ("overlap_m2", "重叠")
        area = pd.to_numeric(sites.get(f"{rule.id}__{col}"), errors="coerce")
        area_m2 = np.broadcast_to(np.asarray(area, dtype=float), len(sites))
        out[rule.name_zh] = [
            f"{v}（{_area_text(a, what)}）" if a > 0 else v
            for v, a in zip(verdict, area_m2, strict=True)
        ]
    return out


def _listed(result: CheckResult) -> tuple[list[int], str]:
    """The sites of the per-site table, and a note when not all are listed."""
    n = len(result.sites)
    if n <= MAX_ROWS:
        return list(range(n)), ""
    verdict = result.sites["verdict"].to_numpy()
    flagged = [i for i in range(n) if verdict[i] in (CONFLICT, NEAR)]
    shown = flagged[:MAX_ROWS]
    note = (
        f"共 {n} 个项目，此处列出冲突与邻近的 {len(shown)} 个"
        + (f"（共 {len(flagged)} 个，超过上限 {MAX_ROWS}）" if len(flagged) > MAX_ROWS else "")
        + "；全部项目的结论见 report.xlsx 与 report.csv。"
    )
    return shown, note


def _sources(constraint: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """The constraint layers used: name, origin, precision, features, SHA-256 (audit)."""
    origin_zh = {"packaged": "fzgeo 内置", "file": "用户文件", "database": "数据库"}
    rows = []
    for name, rec in constraint.items():
        precision = rec.get("precision") or []
        rows.append(
            {
                "图层": rec.get("name_zh") or name,
                "图层名": name,
                "来源": origin_zh.get(str(rec.get("origin")), str(rec.get("origin") or "")),
                "文件或表": "—" if rec.get("origin") == "packaged" else rec.get("source") or "",
                "精度": "、".join(PRECISION_ZH.get(p, p) for p in precision)
                or "未标注（按官方数据）",
                "要素数": rec.get("features"),
                "SHA-256": str(rec.get("sha256") or "")[:16],
            }
        )
    return pd.DataFrame(rows)


def _engine_text(audit: dict[str, Any]) -> str:
    engine = audit.get("engine") or {}
    name = {"local": "本机", "dask": "dask 集群", "postgis": "PostGIS 数据库"}.get(
        str(engine.get("name")), str(engine.get("name") or "本机")
    )
    extra = [
        f"{label} {engine[key]}"
        for key, label in (("threads", "线程"), ("scheduler", "调度器"), ("database", "数据库"))
        if engine.get(key)
    ]
    return name + (f"（{'，'.join(extra)}）" if extra else "")


def write_html(
    result: CheckResult,
    tables: dict[str, pd.DataFrame],
    folder: Path,
    layers: dict[str, GeoDataFrame],
    *,
    title: str,
    site_maps: str = "review",
    created: dt.datetime | None = None,
    origins: Mapping[str, Mapping[str, Any]] | None = None,
) -> Path:
    """``report.html``: 示意 banner, summary, audit, rules, per-site table, site maps.

    Responsive (tables scroll sideways inside their own box on a phone) and printable on A4.
    ``site_maps`` (``review``, ``all`` or ``none``) chooses the sites that get a map
    (:func:`fzgeo.report._sitemaps.write_site_maps`, drawn into ``folder/maps/``).
    """
    from fzgeo.report._sitemaps import chosen, write_site_maps

    counted = result.counted()
    counts = result.sites[counted]["verdict"].value_counts()
    copies = len(result.sites) - int(counted.sum())
    cards = [
        ("项目数", int(counted.sum()), ""),
        ("冲突", int(counts.get(CONFLICT, 0)), "conflict"),
        ("邻近（需复核）", int(counts.get(NEAR, 0)), "near"),
        ("无冲突", int(counts.get(CLEAR, 0)), "clear"),
        *(
            [("无法检查（无几何）", int(counts[UNCHECKED]), "skipped")]
            if counts.get(UNCHECKED, 0)
            else []
        ),
        ("几何已修复", result.repaired_sites, ""),
        ("跳过的规则", len(result.skipped), "skipped" if result.skipped else ""),
    ]
    if copies:
        cards.insert(5, ("重复项目（只计一次）", copies, "near"))
    summary = (
        '<div class="cards">'
        + "".join(
            f'<div class="card {cls}"><b>{value:,}</b><span>{label}</span></div>'
            for label, value, cls in cards
        )
        + "</div>"
    )
    maps = write_site_maps(result, folder, layers, which=site_maps)
    asked = chosen(result, site_maps)[1]
    labels = _labels(result)
    site_tables = _site_tables(tables["details"], list(maps))
    blocks = [
        f'<div class="site"><h3>{pos + 1}. {escape_html(labels[pos])}</h3>'
        f'<a href="{escape_html(rel)}" title="打开原图"><img src="{escape_html(rel)}" '
        f'alt="项目 {pos + 1} 位置图" loading="lazy"></a>'
        f"{site_tables[pos]}</div>"
        for pos, rel in maps.items()
    ]
    maps_note = (
        f'<p class="note">需要图件的项目共 {asked} 个，此处绘制前 {len(maps)} 个（按严重程度排序）。</p>'
        if asked > len(maps)
        else ""
    )
    skipped_note = (
        '<p class="note">未检查（跳过）的规则不代表无冲突：'
        f"{escape_html('；'.join(f'{k}: {v}' for k, v in result.skipped.items()))}</p>"
        if result.skipped
        else ""
    )
    text = notice(result)
    banner = f'<div class="banner" role="alert">⚠ {escape_html(text)}</div>' if text else ""
    audit = dict(result.audit)
    rules_files = "；".join(
        f"{r['source']}（SHA-256 {r['sha256'][:16]}…）" if r["sha256"] else r["source"]
        for r in summary_rules_files(result)
    )
    listed, listed_note = _listed(result)
    sources = _sources(constraint_layers(result, origins))
    heading = MAP_HEADINGS.get(site_maps, "项目图件")
    map_section = (
        f'<section class="sites"><h2>{heading}</h2>{maps_note}{"".join(blocks)}</section>'
        if blocks
        else f"<h2>{heading}</h2>{maps_note}<p>无（--site-maps {escape_html(site_maps)}）</p>"
    )
    html = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape_html(title)}</title>
<style>{_CSS}</style></head><body>
{banner}<h1>{escape_html(title)}</h1>
<p class="meta">生成时间：{stamp(created or now())}（北京时间）；fzgeo&nbsp;{escape_html(__version__)}；\
计算引擎：{escape_html(_engine_text(audit))}</p>
<p class="meta">规则文件：{escape_html(rules_files)}</p>
<p class="meta">面积按 EPSG:4548（CGCS2000 / 3 度带高斯-克吕格，中央经线 117°E）平面计算；
1&nbsp;公顷&nbsp;=&nbsp;10&nbsp;000&nbsp;平方米，1&nbsp;亩&nbsp;=&nbsp;10&nbsp;000/15&nbsp;平方米（约&nbsp;666.67&nbsp;平方米）；\
比例为占项目面积的百分比。</p>
<h2>汇总</h2>{summary}{skipped_note}
<h2>管控图层（数据来源）</h2>{_table(sources) if len(sources) else "<p>无</p>"}
<h2>规则</h2>{_table(tables["rules"])}
<h2>逐项目结论</h2>{f'<p class="note">{escape_html(listed_note)}</p>' if listed_note else ""}
{_table(_brief(result, listed, labels), verdict_col="综合结论")}
{map_section}
</body></html>
"""
    return write_text(folder / "report.html", html)
