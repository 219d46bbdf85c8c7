"""One check job, run in a worker process: the uploaded site file through the siting check.

:func:`run` reads the upload with :func:`fzgeo.io.read` (the archive guards, encodings, CRS rules
of every command), gathers the constraint layers (packaged, or with a DSN the tables ``fzgeo db
push`` wrote), measures on the same engine ``fzgeo check`` would (threads here, or PostGIS),
writes the report with :func:`fzgeo.report.write_report` and the conflicts map with
:mod:`fzgeo.maps`. Everything is written into a temporary folder inside the job folder, renamed
to ``result`` only when complete: a killed server leaves no half-written result.

The job's state is ``status.json`` in the job folder, replaced atomically at every phase:
``{"state": "queued"|"running"|"done"|"error", "phase": "...", ...}``. An error a user can cause
(:class:`~fzgeo.errors.FzgeoError`) is recorded as its code and the message the command line
prints, with the server's folder names removed; anything else as FZ000 without a traceback (the
traceback goes to the server log only).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import traceback
import warnings
from pathlib import Path
from typing import Any

from fzgeo import _atomic
from fzgeo.errors import CATALOGUE, FzgeoError, InputError

STATUS = "status.json"
RESULT = "result"
UPLOAD = "upload"
TMP_PREFIX = ".tmp-"
CONFLICTS_MAP = "conflicts_map.html"
#: The downloads the page offers, in order: file name -> label.
DOWNLOADS = {
    "report.xlsx": "审查结果表（XLSX）",
    "report.html": "审查报告（HTML，可打印）",
    "conflicts.gpkg": "冲突图层（GeoPackage）",
    "conflicts.qgz": "QGIS 工程（与 GeoPackage 同目录打开）",
    "report.csv": "汇总表（CSV）",
    "details.csv": "明细表（CSV）",
    "summary.json": "审计记录（JSON）",
    CONFLICTS_MAP: "冲突地图（离线网页）",
}
#: Phases shown on the page while a job runs, in order.
PHASES = (
    "排队等候",
    "读取项目文件",
    "读取管控图层",
    "叠加分析",
    "写出报告",
    "绘制冲突地图",
    "完成",
)


def write_status(job: Path, **fields: Any) -> None:
    """Replace the job's ``status.json`` atomically with ``fields``, the time and its creation."""
    fields.setdefault("updated", time.time())
    if fields.get("created") is None:
        fields["created"] = read_status(job).get("created", fields["updated"])
    _atomic.write_text(job / STATUS, json.dumps(fields, ensure_ascii=False))


def read_status(job: Path) -> dict[str, Any]:
    """The job's status, or ``{}`` when it has none yet."""
    try:
        data = json.loads((job / STATUS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _clean(text: str, job: Path) -> str:
    """``text`` without the server's folder names: the upload is named by its own file name."""
    for folder in (job / UPLOAD, job):
        for form in (str(folder.resolve()), str(folder)):
            text = text.replace(form + os.sep, "").replace(form, "")
    return text


def _error(err: FzgeoError, job: Path) -> dict[str, Any]:
    return {
        "code": err.code,
        "title": CATALOGUE[err.code].title,
        "message": _clean(f"{err}", job),
    }


def run(job_dir: str, options: dict[str, Any], dsn: str | None = None) -> dict[str, Any]:
    """Run the check of the job in ``job_dir`` and return its final status.

    Parameters
    ----------
    job_dir
        The job folder, holding ``upload/<file>`` (and ``upload/rules/<file>`` for own rules).
        The check runs with ``upload/`` as the working folder (a worker process runs one job
        at a time), so what it writes names the files as the user sent them.
    options
        ``sites`` (the upload's file name), ``rules`` (a file name in ``upload/`` or None),
        ``layer``, ``assume_crs``, ``encoding``, ``input_coords``, ``allow_outside``,
        ``point_radius``, ``threads``.
    dsn
        Measure in PostGIS against the tables ``fzgeo db push`` wrote there (as ``fzgeo check
        --dsn``); None measures here.
    """
    job = Path(job_dir).resolve()
    caught: list[str] = []
    started = time.time()
    final: dict[str, Any]
    try:
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("default")
            for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
                warnings.simplefilter("ignore", category)
            # in the upload folder, as a planner runs `fzgeo check FILE` beside the file: messages,
            # summary.json and the report name the file, not the server's folders
            here = Path.cwd()
            os.chdir(job / UPLOAD)
            try:
                outcome = _check(job, options, dsn)
            finally:
                os.chdir(here)
            caught = list(dict.fromkeys(_clean(str(w.message), job) for w in seen))
    except FzgeoError as err:
        final = {"state": "error", "phase": "出错", "error": _error(err, job)}
    except Exception:
        traceback.print_exc()
        final = {
            "state": "error",
            "phase": "出错",
            "error": {
                "code": "FZ000",
                "title": CATALOGUE["FZ000"].title,
                "message": "[FZ000] 服务器内部错误，检查未完成；请把文件交给管理员查看服务器日志",
            },
        }
    else:
        final = {"state": "done", "phase": "完成", **outcome}
    final["warnings"] = caught
    final["seconds"] = round(time.time() - started, 2)
    final["engine"] = "postgis" if dsn else "local"
    write_status(job, **final)
    return final


def _phase(job: Path, name: str) -> None:
    write_status(job, state="running", phase=name, step=PHASES.index(name))


def _constraints(rule_set: Any, dsn: str | None) -> Any:
    """The constraint layers, as ``fzgeo check`` gathers them (from the database with a DSN)."""
    from fzgeo.check import constraints

    if not dsn:
        return constraints.gather(rule_set, None)
    from fzgeo.db.pull import constraint_layers

    return constraint_layers(dsn, rule_set)


def _check(job: Path, options: dict[str, Any], dsn: str | None) -> dict[str, Any]:
    from fzgeo import check, io, report
    from fzgeo.check import guard, rules

    sites_path = Path(options["sites"])  # relative to the upload folder, the working folder
    rules_path = Path(options["rules"]) if options.get("rules") else None
    rule_set = rules.load(rules_path)
    _phase(job, "读取项目文件")
    sites = io.read(
        sites_path,
        layer=options.get("layer") or None,
        assume_crs=options.get("assume_crs") or None,
        encoding=options.get("encoding") or None,
        input_coords=options.get("input_coords") or None,
        what="sites",
    )
    guard.require_sites(
        sites, sites_path, hint="check the file (and its layer, 图层名) holds the sites; an empty "
        "batch is not a clean one"
    )
    _phase(job, "读取管控图层")
    constraints = _constraints(rule_set, dsn)
    _phase(job, "叠加分析")
    run_options: dict[str, Any] = {
        "point_radius_m": options.get("point_radius"),
        "progress": False,
        "stop_outside": not options.get("allow_outside"),
    }
    try:  # the guard stops the check before measuring, as in fzgeo check
        if dsn:
            from fzgeo.db import check as db_check

            result = db_check.run(sites, dsn, rule_set, **run_options)
        else:
            result = check.run(
                sites, constraints.layers, rule_set, workers=options.get("threads"), **run_options
            )
    except guard.SitesOutside:
        raise InputError(
            guard.OUTSIDE_STOP,
            code="FZ106",
            path=sites_path,
            hint="fix the sites' CRS (e.g. 坐标系 in the advanced options); tick 项目确在抚州市外 "
            "if they are there on purpose",
        ) from None
    _phase(job, "写出报告")
    tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=job))
    try:
        out = tmp / RESULT
        read_as = io.read_records([sites, *constraints.layers.values()])
        report.write_report(
            result,
            out,
            inputs=[sites_path, *([rules_path] if rules_path else [])],
            layers=constraints.titled(rule_set),
            read_as=read_as,
            site_maps="review",
            origins=report.layer_origins(constraints.layers, database=bool(dsn)),
            progress=False,
        )
        _without_folders(out / "summary.json", job)
        _phase(job, "绘制冲突地图")
        _conflicts_map(out)
        outcome = _outcome(result, out)
        os.replace(out, job / RESULT)  # every file in it was written atomically
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return outcome


def _without_folders(path: Path, job: Path) -> None:
    """Rewrite ``summary.json`` with the input files named as sent, not by the server's folders.

    The report records each input's resolved path (:func:`fzgeo.report.file_record`): right for
    a command line user, but on a server it would show the job folder to the user.
    """

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return _clean(value, job)
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    data = clean(json.loads(path.read_text(encoding="utf-8")))
    _atomic.write_text(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _conflicts_map(folder: Path) -> Path:
    """The conflicts map of the check output in ``folder``: offline, zero external requests."""
    from fzgeo.maps import compose, conflict, render

    spec = compose.spec("conflicts")
    rendered = render.render_spec(spec, conflict.map_layers(spec, folder), offline_mode=True)
    return Path(rendered.write(folder / CONFLICTS_MAP))


def _outcome(result: Any, folder: Path) -> dict[str, Any]:
    """Counts, skipped rules, notice and the per-site table (the rows of ``report.csv``)."""
    import pandas as pd

    from fzgeo import report

    counts = result.verdict_counts()
    table = pd.read_csv(
        folder / "report.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False
    )
    return {
        "counts": counts,
        "repaired": int(result.repaired_sites),
        "skipped": {str(k): str(v) for k, v in result.skipped.items()},
        "notice": report.notice(result) or "",
        "any_conflict": bool(result.any_conflict),
        "table": {"columns": [str(c) for c in table.columns], "rows": table.values.tolist()},
        "downloads": [
            {"file": name, "label": label}
            for name, label in DOWNLOADS.items()
            if (folder / name).is_file()
        ],
    }
