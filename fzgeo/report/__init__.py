"""Outputs of a siting check, all written atomically into one folder.

=====================  ==================================================================
``report.csv``         one row per site (input order, original attributes, Chinese
                       headers), UTF-8 with BOM so Excel/WPS show the Chinese
``details.csv``        one row per site and rule
``report.xlsx``        sheets 汇总 (per site), 明细 (per site and rule), 规则 (the rules)
``conflicts.gpkg``     layers ``conflict_parts`` (the overlaps, for QGIS) and ``sites``,
                       styled for QGIS (:mod:`fzgeo.qgis.check_output`)
``conflicts.qgz``      QGIS project opening both layers, styled, in the group 检查结果
``report.html``        printable: summary, rules, per-site table, a static map per
                       conflicting or 邻近 site (``maps/site_NNNNN.png``)
``summary.json``       counts, rules, skipped rules, repairs, rounding, and every input
                       file's name, size and SHA-256 for audit
=====================  ==================================================================

Text cells are neutralised against spreadsheet formulas and escaped in HTML
(:mod:`fzgeo.textsafe`). Numbers are rounded as :data:`fzgeo.check.ROUNDING` says.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from geopandas import GeoDataFrame

from fzgeo._atomic import prepare_folder
from fzgeo.check import CheckResult
from fzgeo.crs import to_storage
from fzgeo.qgis.check_output import write_conflicts
from fzgeo.report._html import write_html
from fzgeo.report._summary import file_record, illustrative_layers, summary, write_json
from fzgeo.report._tables import (
    detail_table,
    rule_table,
    site_table,
    write_csv,
    write_xlsx,
)

__all__ = ["file_record", "illustrative_layers", "summary", "write_report"]


def _gpkg_frames(result: CheckResult, tables: Mapping[str, object]) -> dict[str, GeoDataFrame]:
    sites = to_storage(result.sites, what="sites")
    flat = tables["sites"].copy()  # type: ignore[attr-defined]
    flat.columns = [str(c) for c in flat.columns]
    site_layer = GeoDataFrame(flat, geometry=sites.geometry.values, crs=sites.crs)
    parts = result.parts.copy()
    parts["site"] = parts["site"] + 1
    parts = parts.rename(
        columns={
            "site": "项目序号",
            "rule": "规则编号",
            "rule_zh": "规则",
            "layer": "图层",
            "verdict": "结论",
            "severity": "严重程度",
            "exempt": "是否豁免",
            "inside": "重叠量",
            "feature_ids": "涉及要素编号",
        }
    )
    return {"conflict_parts": parts, "sites": site_layer}


def write_report(
    result: CheckResult,
    folder: str | Path,
    *,
    inputs: Sequence[Path] = (),
    layers: Mapping[str, GeoDataFrame] | None = None,
    title: str = "建设项目选址冲突检查报告",
    read_as: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Path]:
    """Write every output of ``result`` into ``folder`` and return the paths written.

    Parameters
    ----------
    result
        What :func:`fzgeo.check.run` returned.
    folder
        Output folder (created if needed).
    inputs
        The files the check read (sites, rules, user constraint files): recorded with size and
        SHA-256 in ``summary.json``.
    read_as
        Input path -> how :func:`fzgeo.io.read` read it (format, layer, text encoding, CRS;
        ``GeoDataFrame.attrs[fzgeo.io.READ_AS]``), added to that file's record.
    layers
        Constraint layers by display name, drawn under each site map.
    title
        Title of the HTML report.
    """
    folder = prepare_folder(Path(folder))
    tables = {
        "sites": site_table(result),
        "details": detail_table(result),
        "rules": rule_table(result),
    }
    # conflicts.gpkg styled for QGIS (fzgeo.qgis), with conflicts.qgz beside it
    qgis_out = write_conflicts(_gpkg_frames(result, tables), folder / "conflicts.gpkg")
    written = [
        write_csv(tables["sites"], folder / "report.csv"),
        write_csv(tables["details"], folder / "details.csv"),
        write_xlsx(
            {"汇总": tables["sites"], "明细": tables["details"], "规则": tables["rules"]},
            folder / "report.xlsx",
        ),
        qgis_out.gpkg,
        write_html(result, tables, folder, dict(layers or {}), title=title),
    ]
    if qgis_out.project is not None:
        written.append(qgis_out.project)
    written.append(
        write_json(summary(result, inputs=inputs, outputs=written, read_as=read_as), folder)
    )
    return written
