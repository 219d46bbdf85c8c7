"""Every plan-cited feature of every layer: its plan_term is on the plan line it cites.

Generic over ``layers.available()``, so a new plan layer is checked without touching this file.
"""

from __future__ import annotations

import pytest

from fzgeo.plan import layers


@pytest.mark.parametrize("name", layers.available())
def test_plan_term_is_verbatim_on_the_cited_line(name: str, plan_lines: list[str]) -> None:
    gdf = layers.load(name)
    cited = gdf.loc[gdf["source_line"].notna()]
    problems = []
    for idx, row in cited.iterrows():
        line = int(row["source_line"])
        term = row["plan_term"]
        if not 1 <= line <= len(plan_lines):
            problems.append(f"row {idx} ({row['name']}): line {line} is not in the plan")
        elif not isinstance(term, str) or not term:
            problems.append(f"row {idx} ({row['name']}): source_line {line} without plan_term")
        elif term not in plan_lines[line - 1]:
            problems.append(f"row {idx} ({row['name']}): {term!r} not on plan line {line}")
        elif f"第{line}行" not in row["source"]:
            problems.append(f"row {idx} ({row['name']}): source does not cite 第{line}行")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", layers.available())
def test_plan_term_only_with_a_line(name: str) -> None:
    gdf = layers.load(name)
    orphan = gdf.loc[gdf["source_line"].isna() & gdf["plan_term"].notna()]
    assert orphan.empty, f"plan_term without source_line: {list(orphan['name'])}"
