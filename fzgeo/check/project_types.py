"""Project types of the sites (项目类型), as the rules' exemptions read them.

A rule's ``exempt_types`` exempt the sites of those project types (e.g. 线性基础设施). The type of
each site comes from:

1. the column the rules name (``type_column``), when the sites have it;
2. else the first of :data:`TYPE_COLUMNS` the sites have: 项目类型, 项目类别, 工程类型, 建设项目类型,
   项目性质, ``project_type`` (the names design institutes and planning bureaus use).

Column names are compared after :func:`fzgeo.io.columns.normalise` and case-insensitively (:func:`fzgeo.io.columns.find_column`), so ``项目类型 `` or
``Project_Type`` are found. 用地类型 (land-use class, 工业用地 ...) is deliberately not among them: it
classifies the land, not the project, and no exemption is granted by land-use class.

Values are normalised (:func:`fzgeo.io.columns.normalise`: NFKC, which makes full-width letters, digits and spaces
half-width, then every space removed), so ``线性 基础设施`` and ``ＡＢＣ`` match ``线性基础设施`` and
``ABC``; the rules' types are normalised the same way. A missing value is no type.

When the rules exempt any type and no type column is found, or a site's type matches no type the
rules know (their ``exempt_types`` and ``project_types``), :func:`warn` issues a
:class:`~fzgeo.errors.ProjectTypeWarning` (FZ601) with the count and the values, and
``CheckResult.audit`` records them (``type_column``, ``unknown_types``, ``untyped_sites``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fzgeo.check.rules import RuleSet
from fzgeo.errors import ProjectTypeWarning
from fzgeo.io.columns import find_column, normalise

#: Site columns read as the project type when the rules name none (or the sites lack it).
TYPE_COLUMNS = ("项目类型", "项目类别", "工程类型", "建设项目类型", "项目性质", "project_type")
_SHOWN = 10  #: values listed in a warning


def _wanted(rule_set: RuleSet) -> tuple[str, ...]:
    """The site columns looked for, in order: the rules' ``type_column``, then the usual ones."""
    return (rule_set.type_column, *TYPE_COLUMNS) if rule_set.type_column else TYPE_COLUMNS


@dataclass(frozen=True)
class SiteTypes:
    """Every site's normalised project type and what the audit records about them."""

    values: np.ndarray  #: normalised type per site ("" for none), object array
    column: str | None  #: the site column the types came from
    unknown: dict[str, int] = field(default_factory=dict)  #: type matching no known type -> count
    untyped: int = 0  #: sites without a type (counted only when the rules exempt any type)


def site_types(sites: pd.DataFrame, rule_set: RuleSet) -> SiteTypes:
    """Read and normalise the sites' project types as the rules' exemptions need them."""
    n = len(sites)
    column = find_column([c for c in sites.columns if c != sites.geometry.name], _wanted(rule_set))
    if column is None:
        values = np.full(n, "", dtype=object)
    else:
        raw = sites[column]
        codes, uniques = pd.factorize(raw, use_na_sentinel=True)
        texts = np.array([normalise(u) for u in uniques] + [""], dtype=object)
        values = texts[codes]  # the sentinel -1 picks the trailing ""
    exempt = rule_set.exempt_types()
    if not exempt:
        return SiteTypes(values, column)
    known = {normalise(t) for t in (*exempt, *rule_set.project_types)}
    typed = values[values != ""]
    kinds, counts = np.unique(typed.astype(str), return_counts=True)
    unknown = {
        str(k): int(c)
        for k, c in sorted(zip(kinds, counts, strict=True), key=lambda kc: (-kc[1], kc[0]))
        if k not in known
    }
    return SiteTypes(values, column, unknown, int(n - len(typed)))


def warn(types: SiteTypes, rule_set: RuleSet, *, stacklevel: int) -> None:
    """FZ601 when the rules exempt types but sites have no type column or unknown types."""
    exempt = rule_set.exempt_types()
    n = len(types.values)
    if not exempt or not n:
        return
    listed = "、".join(exempt)
    if types.column is None:
        looked = ", ".join(dict.fromkeys(_wanted(rule_set)))
        message = (
            f"[FZ601] the rules exempt project types ({listed}) but the sites have no project "
            f"type column (looked for {looked}): no exemption applies to any of the {n} site(s)"
        )
    elif types.unknown:
        shown = ", ".join(f"{v} ({c})" for v, c in list(types.unknown.items())[:_SHOWN])
        more = len(types.unknown) - _SHOWN
        sites = sum(types.unknown.values())
        message = (
            f"[FZ601] {sites} site(s) have a project type (column {types.column}) that matches "
            f"no type the rules know: {shown}{f' and {more} more' if more > 0 else ''}; "
            f"exemptions apply to {listed} only"
        )
    else:
        return
    warnings.warn(message, ProjectTypeWarning, stacklevel=stacklevel + 1)
