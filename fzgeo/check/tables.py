"""The check's tables: the long table's shared columns and the wide per-site table.

The long table (``CheckResult.details``) has one row per rule and site, rule after rule; every
rule's block starts with :func:`base_columns` and its verdicts pass :func:`exempt`. The vector
rules (:mod:`fzgeo.check.vector`) and the slope rules (:mod:`fzgeo.check.slope`) add their own
measures. :func:`assemble` turns it into the wide table (``CheckResult.sites``): the original
columns, the site's own measures (:func:`site_columns`), the overall verdict (:func:`overall`)
and per rule ``<rule id>__<measure>`` columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import shapely
from geopandas import GeoDataFrame

from fzgeo.check import _overlap
from fzgeo.check.rules import CLEAR, CONFLICT, NEAR, RANK, RASTER_KINDS, SKIPPED, Rule
from fzgeo.io.columns import normalise

CLASS_NAMES = {_overlap.POLYGON: "polygon", _overlap.LINE: "line", _overlap.POINT: "point"}
#: per-rule columns of the wide table (vector rules)
WIDE = ("verdict", "exempt", "overlap_m2", "overlap_ha", "overlap_mu", "length_inside_m")
WIDE_MORE = (
    "share",
    "outside_m2",
    "outside_ha",
    "outside_mu",
    "distance_m",
    "feature_ids",
    "feature_names",
)
#: per-rule columns of slope rules (terrain screening)
WIDE_SLOPE = ("slope_mean_deg", "slope_max_deg", "steep_share", "dem_nodata_share")


def base_columns(rule: Rule, n: int) -> dict[str, object]:
    """The columns every rule's long table starts with."""
    return {
        "site": np.arange(n),
        "rule": rule.id,
        "rule_zh": rule.name_zh,
        "layer": rule.layer,
        "kind": rule.kind,
        "severity": rule.severity,
    }


def skipped_table(rule: Rule, n: int) -> pd.DataFrame:
    """The long table of a skipped rule: every site 跳过."""
    return pd.DataFrame({**base_columns(rule, n), "verdict": SKIPPED, "exempt": False})


def exempt(rule: Rule, verdict: np.ndarray, types: np.ndarray) -> np.ndarray:
    """Which conflicts the rule exempts by project type; their verdict becomes the exempt one.

    ``types`` are the sites' normalised project types
    (:func:`fzgeo.io.columns.normalise`); the rule's types are normalised the same way.
    """
    wanted = [normalise(t) for t in rule.exempt_types]
    exempted = (verdict == CONFLICT) & np.isin(types.astype(object), wanted)
    verdict[exempted] = rule.exempt_verdict
    return exempted


def site_columns(
    sites: GeoDataFrame, cls: np.ndarray, whole: np.ndarray, repaired: np.ndarray
) -> pd.DataFrame:
    """The site's own measures: geometry class, area (m²) or length (m), repaired or not."""
    return pd.DataFrame(
        {
            "geometry_class": [CLASS_NAMES[int(c)] for c in cls],
            "site_area_m2": np.where(cls == _overlap.POLYGON, whole, np.nan),
            "site_length_m": np.where(cls == _overlap.LINE, whole, np.nan),
            "repaired": repaired,
        },
        index=sites.index,
    )


def overall(details: pd.DataFrame, n: int, rule_ids: list[str]) -> pd.DataFrame:
    """Per site: the gravest verdict, the rules behind it, the skipped rules and the score."""
    rank = details["verdict"].map(RANK).to_numpy().reshape(len(rule_ids), n)
    verdicts = details["verdict"].to_numpy().reshape(len(rule_ids), n)
    names = details["rule_zh"].to_numpy().reshape(len(rule_ids), n)
    sev = details["severity"].to_numpy().reshape(len(rule_ids), n)
    top = rank.max(axis=0)
    worst = np.array([CLEAR, NEAR, CONFLICT], dtype=object)[top]

    def join(arr: np.ndarray, mask: np.ndarray) -> np.ndarray:
        # a rule's name and severity are the same for every site, so the joined text depends
        # only on which rules are set: join once per distinct pattern of rules
        patterns, inverse = np.unique(mask.T, axis=0, return_inverse=True)
        first = np.zeros(len(patterns), dtype=np.int64)
        first[inverse.ravel()[::-1]] = np.arange(n)[::-1]
        texts = [";".join(dict.fromkeys(arr[p, j])) for p, j in zip(patterns, first, strict=True)]
        return np.array(texts, dtype=object)[inverse.ravel()] if n else np.array([], dtype=object)

    grave = (rank == top) & (top > 0)
    score = details.get("score", pd.Series(0.0, index=details.index))
    return pd.DataFrame(
        {
            "verdict": worst,
            "severity": join(sev, grave),
            "rules_hit": join(names, grave),
            "skipped_rules": join(names, verdicts == SKIPPED),
            "score": score.fillna(0.0).to_numpy().reshape(len(rule_ids), n).sum(axis=0),
        }
    )


def assemble(
    sites: GeoDataFrame, own: pd.DataFrame, details: pd.DataFrame, rule_ids: list[str]
) -> GeoDataFrame:
    """The wide per-site table: original columns, site measures, overall and per-rule results."""
    n = len(sites)
    summary = overall(details, n, rule_ids)
    summary.index = sites.index
    blocks = [sites.drop(columns=sites.geometry.name), own, summary]
    for k, rid in enumerate(rule_ids):
        d = details.iloc[k * n : (k + 1) * n]
        if len(d) and d["kind"].iloc[0] in RASTER_KINDS:
            cols = [c for c in ("verdict", "exempt", *WIDE_SLOPE) if c in d.columns]
        else:
            cols = [c for c in (*WIDE, *WIDE_MORE) if c in d.columns]
            if "overlap_m2_ellipsoidal" in d.columns:
                cols.insert(3, "overlap_m2_ellipsoidal")
        block = d[cols].rename(columns=lambda c, r=rid: f"{r}__{c}")
        block.index = sites.index
        blocks.append(block)
    table = pd.concat(blocks, axis=1)
    return GeoDataFrame(table, geometry=sites.geometry.values, crs=sites.crs)


#: GEOS validity reasons (shapely.is_valid_reason, up to the '[') in Chinese, for the 问题 column
REPAIR_REASONS_ZH = {
    "Self-intersection": "自相交",
    "Ring Self-intersection": "环自相交",
    "Too few points": "点数过少",
    "Nested shells": "外环相互嵌套",
    "Duplicate Rings": "环重复",
    "Interior is disconnected": "内部被洞分割",
    "Hole lies outside shell": "洞在外环之外",
    "Nested holes": "洞相互嵌套",
    "Invalid Coordinate": "坐标无效",
    "Ring is not closed": "环未闭合",
}
#: what io.read did to the coordinates of a whole file (``READ_AS["input_coords"]``), in Chinese
CONVERTED_ZH = {
    "gcj02": "坐标已由 GCJ-02（高德/腾讯）转换为 CGCS2000",
    "bd09": "坐标已由 BD-09（百度）转换为 CGCS2000",
}


def site_issues(
    sites: GeoDataFrame,
    problem: np.ndarray,
    repaired: np.ndarray,
    copies: list[list[int]],
    read_as: dict[str, object] | None = None,
) -> np.ndarray:
    """Per site, in Chinese, what was done to its input or why it was not checked (问题).

    One text per site, parts joined by ``；``: the reason a site has no usable geometry
    (``problem``), a repair (``几何已修复：自相交``, the GEOS reason of the geometry as
    delivered), a duplicate (``与第 1 行几何相同（重复，合计只计一次）``, rows 1-based as the
    report's 序号; the first of a group names its copies), and what reading did to every site
    of the file (``read_as``, :data:`fzgeo.io.READ_AS`: a CRS assumed or replaced, GCJ-02/BD-09
    converted). Empty where nothing was done.
    """
    n = len(sites)
    parts: list[list[str]] = [[p] if p else [] for p in problem.tolist()]
    rows = np.flatnonzero(repaired)
    if len(rows):
        delivered = np.asarray(sites.geometry.values, dtype=object)[rows]
        for i, why in zip(rows.tolist(), shapely.is_valid_reason(delivered).tolist(), strict=True):
            key = str(why).split("[")[0].strip()
            parts[i].append(f"几何已修复：{REPAIR_REASONS_ZH.get(key, key or '无效几何')}")
    for group in copies:
        first = group[0]
        later = "、".join(str(r + 1) for r in group[1:])
        parts[first].append(f"第 {later} 行与其几何相同（重复，合计只计一次）")
        for r in group[1:]:
            parts[r].append(f"与第 {first + 1} 行几何相同（重复，合计只计一次）")
    whole = []
    if read_as:
        if read_as.get("crs_note_zh"):
            whole.append(str(read_as["crs_note_zh"]))
        converted = CONVERTED_ZH.get(str(read_as.get("input_coords") or "").lower())
        if converted:
            whole.append(converted)
    out = np.empty(n, dtype=object)
    out[:] = ["；".join([*p, *whole]) for p in parts]
    return out
