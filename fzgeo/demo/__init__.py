"""The demo: the main job end to end on the packaged data (``fzgeo demo``).

Each step is a module ``fzgeo/demo/_<step>.py`` exposing ``ORDER`` (an int) and
``run(out: Path, ctx: DemoContext) -> None``; steps run in ``ORDER`` and may read what earlier
steps left in ``ctx.results`` (e.g. the built layers under ``"layers"``). Each step prints what it
wrote.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from fzgeo._atomic import prepare_folder


@dataclass
class DemoContext:
    """Shared state between demo steps."""

    out: Path
    results: dict[str, Any] = field(default_factory=dict)
    written: list[Path] = field(default_factory=list)

    def wrote(self, path: Path, what: str) -> None:
        """Record and print an output."""
        self.written.append(path)
        print(f"wrote {what}: {path}")


def steps() -> list[ModuleType]:
    """The demo step modules in run order."""
    import fzgeo.demo

    found = [
        importlib.import_module(f"fzgeo.demo.{info.name}")
        for info in pkgutil.iter_modules(fzgeo.demo.__path__)
        if info.name.startswith("_") and not info.name.startswith("__")
    ]
    return sorted(found, key=lambda m: (m.ORDER, m.__name__))


def run(out: Path) -> DemoContext:
    """Run every step, writing into ``out``."""
    ctx = DemoContext(out=prepare_folder(Path(out)))
    for step in steps():
        step.run(ctx.out, ctx)
    return ctx
