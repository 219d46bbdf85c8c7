"""The JSON summary of a check, with the audit record of every input file."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fzgeo import __version__
from fzgeo._atomic import write_text
from fzgeo.check import M2_PER_MU, ROUNDING, CheckResult
from fzgeo.check.rules import CLEAR, CONFLICT, NEAR
from fzgeo.crs import WORK_EPSG

_SIDECARS = (".shx", ".dbf", ".prj", ".cpg")
ILLUSTRATIVE = "illustrative"  #: the ``precision`` value of the packaged 示意 stand-ins


def illustrative_layers(result: CheckResult) -> list[str]:
    """The constraint layers of ``result`` that hold illustrative (示意) features, sorted.

    A layer counts as illustrative when the ``precision`` values the check recorded for it
    (``result.audit["layers"][name]["precision"]``) include ``illustrative``; a layer without a
    ``precision`` column (a user's own file, normally their official data) does not. Every output
    of the check carries the 示意 disclaimer when this list is not empty.
    """
    layers = (getattr(result, "audit", None) or {}).get("layers") or {}
    return sorted(
        str(name)
        for name, record in layers.items()
        if ILLUSTRATIVE in ((record or {}).get("precision") or ())
    )


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


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
) -> dict[str, Any]:
    """The machine-readable summary of a check (``read_as``: input path -> how it was read)."""
    read_as = {str(Path(k)): v for k, v in (read_as or {}).items()}
    counts = result.sites["verdict"].value_counts()
    return {
        "fzgeo_version": __version__,
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "sites": len(result.sites),
        "verdicts": {v: int(counts.get(v, 0)) for v in (CONFLICT, NEAR, CLEAR)},
        "any_conflict": result.any_conflict,
        "sites_with_conflict": [
            int(i) + 1
            for i in range(len(result.sites))
            if result.sites["verdict"].iloc[i] == CONFLICT
        ],
        "repaired_site_geometries": result.repaired_sites,
        "rules": [
            {
                "id": r.id,
                "name_zh": r.name_zh,
                "kind": r.kind,
                "layer": r.layer,
                "severity": r.severity,
                "status": "skipped" if r.id in result.skipped else "checked",
                "skipped_reason": result.skipped.get(r.id),
                "conflicts": int((result.sites[f"{r.id}__verdict"] == CONFLICT).sum()),
                "near": int((result.sites[f"{r.id}__verdict"] == NEAR).sum()),
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
            "rounding_decimals": ROUNDING,
            "rounding_mode": "round half to even on the float value, in the reports only",
        },
        "inputs": [rec for p in inputs for rec in file_record(p, read_as.get(str(Path(p))))],
        "outputs": [str(Path(p).name) for p in outputs],
    }


def write_json(data: dict[str, Any], folder: Path) -> Path:
    """``summary.json``, UTF-8, Chinese kept readable."""
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    return write_text(folder / "summary.json", text + "\n")
