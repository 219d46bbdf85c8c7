"""The JSON summary of a check: counts, the 示意 notice, and the audit record.

The audit record says how the result came about: the engine that measured (and its database,
without password, or dask scheduler), the touch tolerance, the project-type column, every
constraint layer's SHA-256, feature count, precision and origin (packaged with fzgeo, a user's
file, or the database), the rules files' SHA-256, the fzgeo version, and every input file's name,
size and SHA-256.

Times are in China Standard Time (Asia/Shanghai, UTC+08:00, no daylight saving), written with
their offset, e.g. ``2026-12-05 19:40:00 +08:00``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fzgeo import __version__, _resources
from fzgeo._atomic import write_text
from fzgeo.check import M2_PER_MU, ROUNDING, CheckResult
from fzgeo.check.rules import CLEAR, CONFLICT, NEAR, UNCHECKED
from fzgeo.crs import WORK_EPSG

if TYPE_CHECKING:
    from geopandas import GeoDataFrame

_SIDECARS = (".shx", ".dbf", ".prj", ".cpg")
#: China Standard Time: Asia/Shanghai keeps UTC+08:00 all year.
SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
ILLUSTRATIVE = "illustrative"  #: the ``precision`` value of the packaged 示意 stand-ins


def illustrative_layers(result: CheckResult) -> list[str]:
    """The constraint layers of ``result`` that hold illustrative (示意) features, in rule order.

    A layer counts as illustrative when the ``precision`` values the check recorded for it
    (``result.audit["layers"][name]["precision"]``) include ``illustrative``; a layer without a
    ``precision`` column (a user's own file, normally their official data) does not. Every output
    of the check carries the 示意 disclaimer when this list is not empty.
    """
    layers = result.audit.get("layers") or {}
    return [
        str(name)
        for name, record in layers.items()
        if ILLUSTRATIVE in ((record or {}).get("precision") or ())
    ]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def now() -> dt.datetime:
    """The current time in Asia/Shanghai (UTC+08:00), to the second."""
    return dt.datetime.now(SHANGHAI).replace(microsecond=0)


def stamp(when: dt.datetime) -> str:
    """``when`` as the reports write it: ``2026-12-05 19:40:00 +08:00`` (Asia/Shanghai)."""
    local = when.astimezone(SHANGHAI)
    return local.strftime("%Y-%m-%d %H:%M:%S ") + local.isoformat()[-6:]


def layer_title(result: CheckResult, layer: str) -> str:
    """The Chinese name of a constraint layer: its layer kind's, else its first rule's."""
    from fzgeo.plan import layers

    try:
        return layers.kind(layer).name_zh
    except (KeyError, LookupError):
        return result.rules.layer_title(layer)


def notice(result: CheckResult) -> str | None:
    """The 示意 disclaimer every output carries when an illustrative layer was used, else None."""
    names = illustrative_layers(result)
    if not names:
        return None
    titles = "、".join(dict.fromkeys(layer_title(result, n) for n in names))
    return (
        f"示意数据：本次检查使用的{titles}为示意图层，并非官方数据，不具法律效力，结果仅供参考；"
        "正式审查请使用官方三区三线数据（可用 fzgeo sanqu load 载入）。"
    )


def rules_files(result: CheckResult) -> list[dict[str, str]]:
    """Each rules file of the check (``+`` in ``RuleSet.source``) with its SHA-256.

    Packaged rules (``layers/rules/...``) are hashed as packaged with this fzgeo version.
    """
    out = []
    for part in (p.strip() for p in result.rules.source.split(" + ") if p.strip()):
        path = Path(part)
        if path.is_file():
            data = path.read_bytes()
        elif part.startswith("layers/"):
            try:
                data = _resources.packaged("layers", part.removeprefix("layers/")).read_bytes()
            except (FileNotFoundError, OSError, ValueError):
                data = b""
        else:
            data = b""
        out.append({"source": part, "sha256": hashlib.sha256(data).hexdigest() if data else ""})
    return out


def layer_origins(
    layers: Mapping[str, GeoDataFrame | None], *, database: bool = False
) -> dict[str, dict[str, str]]:
    """Where each constraint layer came from: fzgeo's packaged layer, a user's file, the database.

    ``layers`` by rule layer name, as gathered for the check
    (:attr:`fzgeo.check.constraints.ConstraintLayers.layers`). A layer read from a file carries
    :data:`fzgeo.io.READ_AS` (its path); with ``database`` the layers are the tables
    ``fzgeo.NAME`` (the database itself is in the engine's record, without password); any other
    layer is fzgeo's packaged one.
    """
    from fzgeo.io import READ_AS

    out: dict[str, dict[str, str]] = {}
    for name, frame in layers.items():
        if frame is None:
            continue
        if database:
            out[name] = {"origin": "database", "source": f"fzgeo.{name}"}
        elif READ_AS in frame.attrs:
            out[name] = {"origin": "file", "source": str(frame.attrs[READ_AS]["path"])}
        else:
            out[name] = {"origin": "packaged", "source": f"fzgeo packaged layer {name}"}
    return out


def constraint_layers(
    result: CheckResult, origins: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, dict[str, Any]]:
    """Per constraint layer: Chinese name, whether illustrative, origin, and the audit record.

    ``origins`` (layer name -> ``{"origin": "packaged" | "file" | "database", "source": ...}``)
    comes from whoever gathered the layers (``fzgeo check``, the demo).
    """
    recorded = result.audit.get("layers") or {}
    illustrative = set(illustrative_layers(result))
    names = list(dict.fromkeys([*recorded, *(origins or {})]))
    return {
        name: {
            "name_zh": layer_title(result, name),
            "illustrative": name in illustrative,
            **dict((origins or {}).get(name) or {}),
            **dict(recorded.get(name) or {}),
        }
        for name in names
    }


def file_record(path: str | Path, read_as: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Name, size and SHA-256 of an input file (and of a Shapefile's companion files).

    ``read_as`` (what :func:`fzgeo.io.read` recorded: format, layer, text encoding, CRS) is
    added to the file's own record.
    """
    path = Path(path)
    found = [path]
    if path.suffix.lower() == ".shp":
        found += [p for s in _SIDECARS if (p := path.with_suffix(s)).is_file()]
    records = [
        {"name": p.name, "path": str(p.resolve()), "bytes": p.stat().st_size, "sha256": _sha256(p)}
        for p in found
        if p.is_file()
    ]
    if records and read_as:
        records[0]["read_as"] = dict(read_as)
    return records


def summary(
    result: CheckResult,
    *,
    inputs: Sequence[Path] = (),
    outputs: Sequence[Path] = (),
    read_as: Mapping[str, Mapping[str, Any]] | None = None,
    created: dt.datetime | None = None,
    origins: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The machine-readable summary of a check.

    ``read_as``: input path -> how it was read; ``created``: when the report was made (default
    now); ``origins``: constraint layer name -> where it came from (see
    :func:`constraint_layers`). ``illustrative`` and ``notice`` come first: when any constraint
    layer was illustrative, ``notice`` is the Chinese disclaimer. ``sites``, ``verdicts`` and
    each rule's ``conflicts`` and ``near`` count a duplicated site once
    (:meth:`~fzgeo.check.CheckResult.counted`); ``site_rows`` is every row of the report,
    ``duplicate_sites`` the groups, ``sites_with_conflict`` every row's 序号.
    """
    read_as = {str(Path(k)): v for k, v in (read_as or {}).items()}
    counted = result.counted()
    distinct = result.sites[counted]
    counts = distinct["verdict"].value_counts()
    audit = dict(result.audit)
    return {
        "illustrative": bool(illustrative_layers(result)),
        "notice": notice(result),
        "illustrative_layers": illustrative_layers(result),
        "fzgeo_version": __version__,
        "created": stamp(created or now()),
        "timezone": "Asia/Shanghai (UTC+08:00)",
        "sites": int(counted.sum()),
        "site_rows": len(result.sites),
        "duplicate_sites": list(audit.get("duplicate_sites") or []),
        "verdicts": {v: int(counts.get(v, 0)) for v in (CONFLICT, NEAR, CLEAR, UNCHECKED)},
        "any_conflict": result.any_conflict,
        "sites_with_conflict": (
            np.flatnonzero(result.sites["verdict"].to_numpy() == CONFLICT) + 1
        ).tolist(),
        "repaired_site_geometries": result.repaired_sites,
        "audit": {
            **audit,
            "fzgeo_version": __version__,
            "rules_files": rules_files(result),
            "layers": constraint_layers(result, origins),
        },
        "rules": [
            {
                "id": r.id,
                "name_zh": r.name_zh,
                "kind": r.kind,
                "layer": r.layer,
                "severity": r.severity,
                "status": "skipped" if r.id in result.skipped else "checked",
                "skipped_reason": result.skipped.get(r.id),
                "conflicts": int((distinct[f"{r.id}__verdict"] == CONFLICT).sum()),
                "near": int((distinct[f"{r.id}__verdict"] == NEAR).sum()),
                "layer_features": result.layers[r.id].features if r.id in result.layers else None,
                "layer_repaired_geometries": result.layers[r.id].repaired
                if r.id in result.layers
                else None,
                "layer_sha256": result.layers[r.id].pieces.digest
                if r.id in result.layers
                else None,
            }
            for r in result.rules.rules
        ],
        "rules_source": result.rules.source,
        "measurement": {
            "crs": f"EPSG:{WORK_EPSG}",
            "m2_per_mu": M2_PER_MU,
            "m2_per_ha": 10_000,
            "share_unit": "%",
            "rounding_decimals": {**ROUNDING, "share_percent": ROUNDING["share"] - 2},
            "rounding_mode": "round half to even on the float value, in the reports only",
        },
        "inputs": [rec for p in inputs for rec in file_record(p, read_as.get(str(Path(p))))],
        "outputs": [str(Path(p).name) for p in outputs],
    }


def write_json(data: dict[str, Any], folder: Path) -> Path:
    """``summary.json``, UTF-8, Chinese kept readable."""
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    return write_text(folder / "summary.json", text + "\n")
