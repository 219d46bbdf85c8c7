"""Outputs of a siting check, written as one set into one folder.

=====================  ==================================================================
``report.csv``         one row per site (input order, original attributes, Chinese
                       headers), UTF-8 with BOM so Excel/WPS show the Chinese
``details.csv``        one row per site and rule
``report.xlsx``        sheets 汇总 (per site), 明细 (per site and rule), 规则 (the rules),
                       written by a streaming writer (:mod:`fzgeo.report._xlsx`)
``conflicts.gpkg``     layers ``conflict_parts`` (the overlaps, for QGIS) and ``sites``,
                       styled for QGIS (:mod:`fzgeo.qgis.check_output`)
``conflicts.qgz``      QGIS project opening both layers, styled, in the group 检查结果
``report.html``        printable (A4) and readable on a phone: summary, data sources,
                       rules, per-site table, a map per conflicting or 邻近 site
                       (``maps/``, :mod:`fzgeo.report._sitemaps`)
``summary.json``       the 示意 notice, counts, rules, skipped rules, repairs, rounding, the
                       audit record (engine, layers, rules files, version) and every input
                       file's name, size and SHA-256
=====================  ==================================================================

The set is written into a temporary folder beside the output folder and swapped in whole when
complete (:mod:`fzgeo.report._folder`): a run killed at any moment leaves the previous run's
outputs or this run's, never a mix; files in the folder that are not outputs are kept.

Areas are given in m², 公顷 and 亩, shares in %, times in Asia/Shanghai with the offset. When
a constraint layer used was illustrative (示意), every output says so first.

Text cells are neutralised against spreadsheet formulas and escaped in HTML
(:mod:`fzgeo.textsafe`). Numbers are rounded as :data:`fzgeo.check.ROUNDING` says.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from geopandas import GeoDataFrame

from fzgeo import _progress
from fzgeo.check import CheckResult
from fzgeo.crs import to_storage
from fzgeo.qgis.check_output import write_conflicts
from fzgeo.report._folder import staged
from fzgeo.report._html import write_html
from fzgeo.report._summary import (
    file_record,
    illustrative_layers,
    layer_origins,
    notice,
    now,
    summary,
    write_json,
)
from fzgeo.report._tables import (
    detail_table,
    rule_table,
    site_table,
    write_csv,
    write_xlsx,
)

__all__ = [
    "file_record",
    "illustrative_layers",
    "layer_origins",
    "notice",
    "summary",
    "write_report",
]


def _gpkg_frames(result: CheckResult, tables: Mapping[str, object]) -> dict[str, GeoDataFrame]:
    # only the geometry is reprojected, and the table's columns are shared, not copied: at a
    # million sites a copy of either costs a gigabyte
    geometry = result.sites[[result.sites.geometry.name]]
    sites = to_storage(geometry, what="sites")  # type: ignore[arg-type]
    flat = tables["sites"].copy(deep=False)  # type: ignore[attr-defined]
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
    site_maps: str = "review",
    origins: Mapping[str, Mapping[str, Any]] | None = None,
    progress: bool | None = None,
) -> list[Path]:
    """Write every output of ``result`` into ``folder`` and return the paths written.

    When a constraint layer was illustrative (:func:`illustrative_layers`), every output says so
    first: a banner atop ``report.html``, the first rows of the XLSX sheet 汇总, ``notice`` in
    ``summary.json`` (and the caller's last line, see :func:`notice`).

    Parameters
    ----------
    result
        What :func:`fzgeo.check.run` returned.
    folder
        Output folder (created if needed). Every output is written into a temporary folder
        beside it, swapped in whole at the end (:func:`fzgeo.report._folder.staged`): files of
        an earlier check there are replaced, other files are kept.
    inputs
        The files the check read (sites, rules, user constraint files): recorded with size and
        SHA-256 in ``summary.json``.
    layers
        Constraint layers by display name, drawn on the site maps.
    title
        Title of the HTML report.
    read_as
        Input path -> how :func:`fzgeo.io.read` read it (format, layer, text encoding, CRS;
        ``GeoDataFrame.attrs[fzgeo.io.READ_AS]``), added to that file's record.
    site_maps
        Which sites get a map in the HTML report: ``review`` (冲突 and 邻近, the default),
        ``all`` or ``none``.
    origins
        Constraint layer name -> where it came from, e.g. ``{"origin": "packaged"}`` or
        ``{"origin": "file", "source": "红线.gpkg"}`` (``summary.json`` and the report's
        数据来源 table); by default :func:`layer_origins` of ``layers`` (a layer read from a
        file is that file, any other is packaged).
    progress
        Progress bars for the phases (tables, maps, files) on stderr: True, False, or None for
        large batches on a terminal (:mod:`fzgeo._progress`).
    """
    created = now()
    if origins is None and layers:
        by_title = result.rules.layers_by_title()
        origins = layer_origins({by_title.get(t, t): gdf for t, gdf in layers.items()})
    show = _progress.wanted(len(result.sites), progress)
    final = Path(folder)
    with staged(final) as stage:
        written = _write_all(
            result, stage, inputs, layers, title, read_as, site_maps, origins, show, created
        )
    return [final / p.relative_to(stage) for p in written]


def _write_all(
    result: CheckResult,
    folder: Path,
    inputs: Sequence[Path],
    layers: Mapping[str, GeoDataFrame] | None,
    title: str,
    read_as: Mapping[str, Mapping[str, Any]] | None,
    site_maps: str,
    origins: Mapping[str, Mapping[str, Any]] | None,
    show: bool,
    created: Any,
) -> list[Path]:
    """Every output into ``folder`` (the staging folder); the paths written."""
    text = notice(result)
    with _progress.phase("汇总表", show=show):
        tables = {
            "sites": site_table(result),
            "details": detail_table(result),
            "rules": rule_table(result),
        }
    with _progress.phase("位置图与报告", show=show):
        html = write_html(
            result,
            tables,
            folder,
            dict(layers or {}),
            title=title,
            site_maps=site_maps,
            created=created,
            origins=origins,
        )

    def xlsx() -> Path:
        out = write_xlsx(
            {"汇总": tables["sites"], "明细": tables["details"], "规则": tables["rules"]},
            folder / "report.xlsx",
            notice=[text] if text else (),
        )
        del tables["details"]  # not needed further: at a million sites, a gigabyte freed
        return out

    steps: list[Callable[[], Path | list[Path]]] = [
        lambda: write_csv(tables["sites"], folder / "report.csv"),
        lambda: write_csv(tables["details"], folder / "details.csv"),
        xlsx,
        # the GeoPackage's frames (sites reprojected) are made only now, the tables above gone
        lambda: _qgis_files(_gpkg_frames(result, tables), folder, result, dict(layers or {})),
    ]
    written: list[Path] = []
    with _progress.phase("写出文件", total=len(steps) + 1, show=show, unit="个") as bar:
        for step in steps:
            out = step()
            written.extend(out if isinstance(out, list) else [out])
            bar.update(1)
        written.insert(4, html)
        record = summary(
            result,
            inputs=inputs,
            outputs=written,
            read_as=read_as,
            created=created,
            origins=origins,
        )
        written.append(write_json(record, folder))
        bar.update(1)
    return written


def _qgis_files(
    frames: dict[str, GeoDataFrame],
    folder: Path,
    result: CheckResult,
    layers: Mapping[str, GeoDataFrame],
) -> list[Path]:
    """``conflicts.gpkg`` styled for QGIS (:mod:`fzgeo.qgis`), with ``conflicts.qgz`` beside it.

    The constraint layers the check used go in too, cut to the sites' extent.
    """
    out = write_conflicts(frames, folder / "conflicts.gpkg", result=result, layers=layers)
    return [out.gpkg] if out.project is None else [out.gpkg, out.project]
