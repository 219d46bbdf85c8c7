"""The check's tables with Chinese headers and fixed rounding, as CSV and XLSX."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fzgeo._atomic import atomic_path, write_bytes
from fzgeo.check import ROUNDING, CheckResult
from fzgeo.textsafe import neutralize_cell

#: English measure -> (Chinese header, rounding key or None)
MEASURES: dict[str, tuple[str, str | None]] = {
    "verdict": ("结论", None),
    "exempt": ("是否豁免", None),
    "overlap_m2": ("重叠面积（平方米）", "m2"),
    "overlap_m2_ellipsoidal": ("重叠椭球面积（平方米）", "m2"),
    "overlap_ha": ("重叠面积（公顷）", "ha"),
    "overlap_mu": ("重叠面积（亩）", "mu"),
    "length_inside_m": ("线内长度（米）", "m"),
    "share": ("占项目比例", "share"),
    "outside_m2": ("界外面积（平方米）", "m2"),
    "distance_m": ("最近距离（米）", "m"),
    "feature_ids": ("涉及要素编号", None),
    "feature_names": ("涉及要素名称", None),
    "score": ("软因子得分", "score"),
    "slope_mean_deg": ("平均坡度（度）", "deg"),
    "slope_max_deg": ("最大坡度（度）", "deg"),
    "steep_share": ("超过坡度阈值的面积比例", "share"),
    "dem_nodata_share": ("高程无数据比例", "share"),
}
SITE_COLUMNS: dict[str, tuple[str, str | None]] = {
    "geometry_class": ("几何类型", None),
    "site_area_m2": ("项目面积（平方米）", "m2"),
    "site_area_m2_ellipsoidal": ("项目椭球面积（平方米）", "m2"),
    "site_length_m": ("项目长度（米）", "m"),
    "repaired": ("几何已修复", None),
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
    return pd.to_numeric(series, errors="coerce").round(ROUNDING[key])


def site_table(result: CheckResult) -> pd.DataFrame:
    """One row per site: 序号, original attributes, then Chinese-headed results, rounded."""
    sites = result.sites
    out = pd.DataFrame({"序号": np.arange(1, len(sites) + 1)}, index=sites.index)
    own = [c for c in sites.columns if c != sites.geometry.name and "__" not in c]
    for col in own:
        if col in SITE_COLUMNS:
            header, key = SITE_COLUMNS[col]
            out[header] = _round(sites[col], key)
        else:
            out[col] = sites[col]
    out["几何类型"] = out["几何类型"].map(CLASS_ZH)
    out["几何已修复"] = out["几何已修复"].map(YES_NO)
    for rule in result.rules.rules:
        for measure, (header, key) in MEASURES.items():
            col = f"{rule.id}__{measure}"
            if col in sites.columns:
                values = _round(sites[col], key)
                if measure == "exempt":
                    values = values.map(YES_NO)
                out[f"{rule.name_zh}·{header}"] = values
    return out.reset_index(drop=True)


def detail_table(result: CheckResult) -> pd.DataFrame:
    """One row per site and rule, Chinese headers, rounded."""
    d = result.details
    out = pd.DataFrame(index=d.index)
    for col, (header, key) in DETAIL_COLUMNS.items():
        if col in d.columns:
            out[header] = _round(d[col], key)
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
    """Every text cell neutralised against spreadsheet formulas; headers too."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].astype(object).map(neutralize_cell)
    out.columns = [neutralize_cell(str(c)) for c in out.columns]
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """UTF-8 with BOM, so Excel and WPS open the Chinese headers correctly."""
    data = safe(frame).to_csv(index=False, lineterminator="\n").encode("utf-8-sig")
    return write_bytes(path, data)


def write_xlsx(sheets: dict[str, pd.DataFrame], path: Path) -> Path:
    """One sheet per table, header row frozen and bold, columns sized to their content."""
    from openpyxl.styles import Font

    with atomic_path(path) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            safe(frame).to_excel(writer, sheet_name=name, index=False)
            ws = writer.sheets[name]
            ws.freeze_panes = "A2"
            for cell in ws[1]:
                cell.font = Font(bold=True)
            for i, col in enumerate(frame.columns, start=1):
                width = min(40, max(8, len(str(col)) * 2))
                ws.column_dimensions[ws.cell(1, i).column_letter].width = width
    return path
