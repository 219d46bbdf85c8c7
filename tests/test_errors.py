"""The error catalogue: in code order, complete, every entry used, and the same in docs/input.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fzgeo import errors
from fzgeo.cli._validate import catalogue_markdown
from fzgeo.errors import CATALOGUE, SEVERITIES, ErrorCode, FzgeoError
from fzgeo.io.validate import Finding

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "fzgeo"
CODE = re.compile(r"\bFZ\d{3}\b")


def _sources() -> dict[Path, str]:
    """Every Python and YAML file of the package except errors.py, where the catalogue lives."""
    files = sorted(p for p in PACKAGE.rglob("*") if p.suffix in (".py", ".yaml", ".yml"))
    return {p: p.read_text(encoding="utf-8") for p in files if p != PACKAGE / "errors.py"}


def _error_classes() -> list[type[FzgeoError]]:
    return [
        obj
        for obj in vars(errors).values()
        if isinstance(obj, type) and issubclass(obj, FzgeoError)
    ]


def test_catalogue_is_in_code_order_and_keyed_by_code() -> None:
    assert list(CATALOGUE) == sorted(CATALOGUE)
    for code, entry in CATALOGUE.items():
        assert entry.code == code
        assert re.fullmatch(r"FZ\d{3}", code), code


def test_every_code_has_a_title_a_hint_and_a_known_severity() -> None:
    # an empty hint means the code has no advice that fits every case: each raise gives its own
    assert SEVERITIES == ("error", "warning", "info")
    for code, entry in CATALOGUE.items():
        assert entry.title.strip() == entry.title != "", code
        assert isinstance(entry.hint, str), code
        assert "\n" not in entry.title + entry.hint, code
        assert entry.severity in SEVERITIES, code


def test_a_severity_outside_the_set_is_refused() -> None:
    with pytest.raises(ValueError, match="FZ999: severity 'fatal'"):
        ErrorCode("FZ999", "test", severity="fatal")


def test_every_code_fzgeo_uses_is_in_the_catalogue() -> None:
    for path, text in _sources().items():
        unknown = set(CODE.findall(text)) - set(CATALOGUE)
        assert not unknown, f"{path.relative_to(ROOT)} uses codes not in the catalogue: {unknown}"
    for cls in _error_classes():
        assert cls.default_code in CATALOGUE, cls.__name__


def test_every_catalogue_code_is_used() -> None:
    text = "\n".join(_sources().values())
    used = set(CODE.findall(text))
    # an error class raised without code= carries its default code
    used |= {c.default_code for c in _error_classes() if re.search(rf"\b{c.__name__}\(", text)}
    assert sorted(set(CATALOGUE) - used) == []


def test_validate_takes_severity_title_and_hint_from_the_catalogue() -> None:
    for code, entry in CATALOGUE.items():
        finding = Finding.new(code, "message")
        assert (finding.severity, finding.title, finding.hint) == (
            entry.severity,
            entry.title,
            entry.hint,
        )
        assert Finding.of(FzgeoError("message", code=code)).severity == entry.severity


def test_docs_catalogue_is_the_generated_one() -> None:
    text = (ROOT / "docs" / "input.md").read_text(encoding="utf-8")
    section = text.split("\n## Error catalogue\n", 1)[1].split("\n## ", 1)[0]
    table = [line for line in section.splitlines() if line.startswith("|")]
    assert table == catalogue_markdown().splitlines(), (
        "docs/input.md is stale: paste the output of `fzgeo validate --codes` under "
        "'## Error catalogue'"
    )
