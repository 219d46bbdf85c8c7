"""The check's tables with Chinese headers and fixed rounding, as CSV and XLSX."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from fzgeo._atomic import atomic_path
from fzgeo.check import M2_PER_HA, M2_PER_MU, ROUNDING, CheckResult
from fzgeo.report._xlsx import Sheet, write_workbook
from fzgeo.textsafe import CONTROL_CHARS, FORMULA_PREFIXES, MAX_TEXT, neutralize_cell

#: English measure -> (Chinese header, rounding key or None). Areas come in m², 公顷 and 亩
#: (the 公顷 and 亩 of a measure the check gives in m² only are derived here); shares in %.
MEASURES: dict[str, tuple[str, str | None]] = {
    "verdict": ("结论", None),
    "exempt": ("是否豁免", None),
    "overlap_m2": ("重叠面积（平方米）", "m2"),
    "overlap_ha": ("重叠面积（公顷）", "ha"),
    "overlap_mu": ("重叠面积（亩）", "mu"),
    "overlap_m2_ellipsoidal": ("重叠椭球面积（平方米）", "m2"),
    "overlap_ha_ellipsoidal": ("重叠椭球面积（公顷）", "ha"),
    "overlap_mu_ellipsoidal": ("重叠椭球面积（亩）", "mu"),
    "length_inside_m": ("线内长度（米）", "m"),
    "share": ("占项目比例（%）", "pct"),
    "outside_m2": ("界外面积（平方米）", "m2"),
    "outside_ha": ("界外面积（公顷）", "ha"),
    "outside_mu": ("界外面积（亩）", "mu"),
    "distance_m": ("最近距离（米）", "m"),
    "feature_ids": ("涉及要素编号", None),
    "feature_names": ("涉及要素名称", None),
    "score": ("软因子得分", "score"),
    "slope_mean_deg": ("平均坡度（度）", "deg"),
    "slope_max_deg": ("最大坡度（度）", "deg"),
    "steep_share": ("超过坡度阈值的面积比例（%）", "pct"),
    "dem_nodata_share": ("高程无数据比例（%）", "pct"),
}
#: Measures of the area outside a boundary: only ``within`` rules have them.
OUTSIDE = ("outside_m2", "outside_ha", "outside_mu")
SITE_COLUMNS: dict[str, tuple[str, str | None]] = {
    "geometry_class": ("几何类型", None),
    "site_area_m2": ("项目面积（平方米）", "m2"),
    "site_area_ha": ("项目面积（公顷）", "ha"),
    "site_area_mu": ("项目面积（亩）", "mu"),
    "site_area_m2_ellipsoidal": ("项目椭球面积（平方米）", "m2"),
    "site_area_ha_ellipsoidal": ("项目椭球面积（公顷）", "ha"),
    "site_area_mu_ellipsoidal": ("项目椭球面积（亩）", "mu"),
    "site_length_m": ("项目长度（米）", "m"),
    "repaired": ("几何已修复", None),
    "problem": ("问题", None),
    "verdict": ("综合结论", None),
    "severity": ("严重程度", None),
    "rules_hit": ("触及规则", None),
    "skipped_rules": ("未检查规则（跳过）", None),
    "score": ("软因子得分", "score"),
}
DETAIL_COLUMNS: dict[str, tuple[str, str | None]] = {
    "site": ("项目序号", None),
    "rule": ("规则编号", None),
    "rule_zh": ("规则", None),
    "layer": ("图层", None),
    "kind": ("规则类型", None),
    "severity": ("严重程度", None),
    **MEASURES,
}
#: Number format of a spreadsheet column by the unit its header ends with.
UNIT_FORMATS = {
    "（平方米）": "#,##0.00",
    "（公顷）": "#,##0.0000",
    "（亩）": "#,##0.0000",
    "（%）": "0.00",
    "（米）": "#,##0.00",
    "（度）": "0.00",
}
#: Decimal places of a share in % (the fraction's ROUNDING["share"] places, moved by two).
PERCENT_DECIMALS = ROUNDING["share"] - 2
#: Text that :func:`fzgeo.textsafe.neutralize_cell` would change (besides over-long text).
_RISKY = "^(?:" + "|".join(map(re.escape, FORMULA_PREFIXES)) + ")|" + CONTROL_CHARS.pattern
_PER_UNIT = {"ha": M2_PER_HA, "mu": M2_PER_MU}
CLASS_ZH = {"polygon": "面", "line": "线", "point": "点"}
KIND_ZH = {
    "veto": "一票否决",
    "within": "须位于其内",
    "proximity": "邻近缓冲",
    "soft": "软因子",
    "slope": "坡度",
}
YES_NO = {True: "是", False: "否"}


def _round(series: pd.Series, key: str | None) -> pd.Series:
    if key is None:
        return series
    values = pd.to_numeric(series, errors="coerce")
    if key == "pct":
        return (values * 100).round(PERCENT_DECIMALS)
    return values.round(ROUNDING[key])


def _column(frame: pd.DataFrame, name: str) -> pd.Series | None:
    """Column ``name`` of ``frame``; a ``_ha`` or ``_mu`` area derived from its ``_m2`` twin."""
    if name in frame.columns:
        return frame[name]
    for unit, per in _PER_UNIT.items():
        if f"_{unit}" in name and (m2 := name.replace(f"_{unit}", "_m2", 1)) in frame.columns:
            return pd.to_numeric(frame[m2], errors="coerce") / per
    return None


def site_table(result: CheckResult) -> pd.DataFrame:
    """One row per site: 序号, original attributes, then Chinese-headed results, rounded.

    Areas in m², 公顷 and 亩, shares in % (headers say the unit); 界外面积 only for ``within``
    rules.
    """
    sites = result.sites
    out = pd.DataFrame({"序号": np.arange(1, len(sites) + 1)}, index=sites.index)
    own = [c for c in sites.columns if c != sites.geometry.name and "__" not in c]
    for col in own:
        if col not in SITE_COLUMNS:
            out[col] = sites[col]
            continue
        twins = [col.replace("_m2", u, 1) for u in ("_ha", "_mu")] if "_m2" in col else []
        for name in (col, *(t for t in twins if t in SITE_COLUMNS and t not in own)):
            header, key = SITE_COLUMNS[name]
            out[header] = _round(_column(sites, name), key)  # type: ignore[arg-type]
    out["几何类型"] = out["几何类型"].map(CLASS_ZH)
    out["几何已修复"] = out["几何已修复"].map(YES_NO)
    for rule in result.rules.rules:
        for measure, (header, key) in MEASURES.items():
            if measure in OUTSIDE and rule.kind != "within":
                continue
            values = _column(sites, f"{rule.id}__{measure}")
            if values is not None:
                values = _round(values, key)
                if measure == "exempt":
                    values = values.map(YES_NO)
                out[f"{rule.name_zh}·{header}"] = values
    return out.reset_index(drop=True)


def detail_table(result: CheckResult) -> pd.DataFrame:
    """One row per site and rule, Chinese headers, rounded (areas in m², 公顷, 亩; shares in %)."""
    d = result.details
    out = pd.DataFrame(index=d.index)
    for col, (header, key) in DETAIL_COLUMNS.items():
        values = _column(d, col)
        if values is not None:
            out[header] = _round(values, key)
    out["项目序号"] = out["项目序号"] + 1
    out["规则类型"] = out["规则类型"].map(KIND_ZH)
    out["是否豁免"] = out["是否豁免"].map(YES_NO)
    return out


def rule_table(result: CheckResult) -> pd.DataFrame:
    """The rules as applied: kind, layer, severity, exemptions, status."""
    rows = []
    for r in result.rules.rules:
        layer = result.layers.get(r.id)
        rows.append(
            {
                "规则编号": r.id,
                "规则": r.name_zh,
                "规则类型": KIND_ZH[r.kind],
                "图层": r.layer,
                "筛选条件": ", ".join(f"{k}={v}" for k, v in r.where.items()),
                "距离（米）": r.reach_m or None,
                "严重程度": r.severity,
                "豁免项目类型": "、".join(r.exempt_types),
                "豁免后结论": r.exempt_verdict if r.exempt_types else "",
                "状态": "跳过：" + result.skipped[r.id] if r.id in result.skipped else "已检查",
                "图层要素数": layer.features if layer else None,
                "依据": r.basis,
                "坡度阈值（度）": r.max_slope_deg or None,
            }
        )
    table = pd.DataFrame(rows)
    if table["坡度阈值（度）"].isna().all():  # no slope rule: leave the column out
        table = table.drop(columns="坡度阈值（度）")
    return table


def safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text cell neutralised against spreadsheet formulas; headers too.

    Only the cells that need it are rewritten (a formula prefix, a control character, an
    over-long text), found with vectorised string tests. The result shares the columns that
    need nothing with ``frame`` (a shallow copy: a million-site table is not copied whole).
    """
    out = frame.copy(deep=False)
    for col in out.columns:
        values = out[col]
        if not (values.dtype == object or pd.api.types.is_string_dtype(values)):
            continue
        if values.dtype == object:  # mixed: test the strings only
            strings = values.map(type).eq(str).to_numpy(dtype=bool)
            text = pd.Series(values.where(strings, None), dtype="string")
        else:
            text = values
        risky = (
            text.str.contains(_RISKY, regex=True).fillna(False)
            | text.str.len().gt(MAX_TEXT).fillna(False)
        ).to_numpy(dtype=bool)
        if risky.any():
            fixed = values.astype(object).copy()
            fixed[risky] = [neutralize_cell(v) for v in fixed[risky]]
            out[col] = fixed
    out.columns = [neutralize_cell(str(c)) for c in out.columns]
    return out


def number_formats(frame: pd.DataFrame) -> dict[str, str]:
    """The spreadsheet number format of each numeric column, from the unit in its header."""
    formats = {}
    for col in frame.columns:
        name = str(col)
        if name.endswith("序号"):
            formats[name] = "0"
        for unit, fmt in UNIT_FORMATS.items():
            if name.endswith(unit):
                formats[name] = fmt
    return formats


CSV_ROWS = 50_000  #: rows neutralised and written at once (memory stays bounded at any size)


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """UTF-8 with BOM, so Excel and WPS open the Chinese headers correctly.

    Written block by block of :data:`CSV_ROWS` rows into the temporary file that replaces
    ``path`` when complete (:func:`fzgeo._atomic.atomic_path`): a million-site table is never
    held as one text in memory.
    """
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8-sig", newline="") as fh:
        for start in range(0, max(len(frame), 1), CSV_ROWS):
            block = safe(frame.iloc[start : start + CSV_ROWS])
            block.to_csv(fh, index=False, header=start == 0, lineterminator="\n")
    return path


#: rows of one worksheet in Excel, WPS and LibreOffice (2^20), header and notice rows included
XLSX_MAX_ROWS = 1_048_576


def write_xlsx(sheets: dict[str, pd.DataFrame], path: Path, *, notice: Sequence[str] = ()) -> Path:
    """One sheet per table, written by the streaming writer :mod:`fzgeo.report._xlsx`.

    Header row bold, frozen and filtered, the first column (序号) frozen on the per-site and
    per-rule sheets, columns fitted to their content (CJK characters count double), number
    formats by unit (m² ``#,##0.00``, 公顷 and 亩 ``#,##0.0000``, % ``0.00``), 冲突/邻近 cells
    shaded. ``notice`` lines (the 示意 disclaimer) come first on the first sheet, above the
    header, so nobody reads the table without them.

    A table longer than a worksheet holds (:data:`XLSX_MAX_ROWS` rows with its header) goes on
    several sheets, ``明细``, ``明细（2）``, ..., each with its header and a line above it saying
    which rows it holds and how many sheets there are (the CSV files hold every row in one file).
    """
    out = []
    for i, (name, frame) in enumerate(sheets.items()):
        table = safe(frame)
        lines = tuple(notice) if i == 0 else ()
        formats = number_formats(table)
        freeze = 1 if "序号" in str(table.columns[0]) else 0
        verdicts = [str(c) for c in table.columns if str(c).endswith("结论")]
        for part, (start, stop, total) in enumerate(_parts(len(table), lines), start=1):
            extra = (
                (
                    f"本表共 {len(table):,} 行，超过 Excel 单个工作表的上限 {XLSX_MAX_ROWS:,} 行，"
                    f"分为 {total} 个工作表；此为第 {part} 个，第 {start + 1:,}–{stop:,} 行"
                    "（CSV 文件含全部行）",
                )
                if total > 1
                else ()
            )
            out.append(
                Sheet(
                    name if part == 1 else f"{name}（{part}）",
                    table.iloc[start:stop],
                    formats=formats,
                    notice=lines + extra,
                    freeze_columns=freeze,
                    verdict_columns=verdicts,
                )
            )
    return write_workbook(out, path)


def _parts(n: int, notice: Sequence[str]) -> list[tuple[int, int, int]]:
    """(start, stop, count) of the row ranges of a table of ``n`` rows, one per worksheet.

    A sheet holds its notice lines, a blank row and the header above the data; a table that is
    split carries one more notice line on each sheet.
    """
    whole = XLSX_MAX_ROWS - (len(notice) + 2 if notice else 1)
    if n <= whole:
        return [(0, n, 1)]
    per = XLSX_MAX_ROWS - (len(notice) + 1 + 2)
    bounds = list(range(0, n, per))
    return [(a, min(n, a + per), len(bounds)) for a in bounds]
