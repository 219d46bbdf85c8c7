"""Attribute values that carry HTML, formulas, control characters or very long texts."""

from __future__ import annotations

from pathlib import Path

from input_fixtures import run_cli, sites

from fzgeo import io, textsafe
from fzgeo.io import validate

HOSTILE = {
    "html": "<img src=x onerror=alert(1)>",
    "formula": '=HYPERLINK("http://x","点我")',
    "control": "南城\x1b[31m物流园\x07",
    "long": "长" * (textsafe.MAX_TEXT + 10),
}


def _file(tmp_path: Path) -> Path:
    gdf = sites(4)
    gdf["编号"] = [HOSTILE["control"], "2", "3", "4"]
    gdf["名称"] = list(HOSTILE.values())
    path = tmp_path / "hostile.gpkg"
    io.write(gdf, path)
    return path


def test_hostile_values_are_read_unchanged_and_reported(tmp_path: Path) -> None:
    path = _file(tmp_path)
    assert io.read(path)["名称"].tolist() == list(HOSTILE.values())  # data is not altered on read
    report = validate.validate_file(path)
    found = [f for f in report.findings if f.code == "FZ419"]
    assert [f.severity for f in found] == ["info"] * 4
    assert [f.message.split(";")[0] for f in found] == [
        "1 value(s) hold HTML or script",
        "1 value(s) hold a spreadsheet formula",
        "2 value(s) hold control characters",
        "1 value(s) hold very long text",
    ]
    assert report.ok


def test_reports_stay_inert(tmp_path: Path) -> None:
    path = _file(tmp_path)
    table = run_cli("validate", "--features", str(path))
    assert table.returncode == 0, table.stderr
    assert "\x1b" not in table.stdout
    assert "\x07" not in table.stdout
    assert "feature 1 (编号=南城[31m物流园)" in table.stdout
    escaped = textsafe.escape_html(HOSTILE["html"])
    assert "<img" not in escaped
    assert textsafe.neutralize_cell(HOSTILE["formula"]).startswith("'=")
