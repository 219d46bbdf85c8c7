"""The constraint layers of a check: packaged layers or the user's files, by the rules' layer names.

A rule names its layer (``eco_redline``, ``basic_farmland``, ...). :func:`gather` finds each one,
either among the packaged layers (:mod:`fzgeo.plan.layers`) or in the files the user gives, as
``fzgeo check --against`` takes them:

``NAME``
    the packaged layer ``NAME``;
``NAME=FILE``
    the layer the rules call ``NAME`` read from ``FILE``; from a GeoPackage or File GDB of several
    layers, its layer called ``NAME`` (as ``fzgeo sanqu load`` writes them);
``FILE``
    a file whose stem is such a ``NAME``.

Without any, every layer the rules name is taken from the packaged layers; with some, only those
given are used. A layer not found is ``None``: the check reports its rules as skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from geopandas import GeoDataFrame

from fzgeo import io
from fzgeo.check.rules import RuleSet
from fzgeo.errors import ConfigError, UnknownLayerError
from fzgeo.plan import layers

#: Suffixes of the files that can hold several named layers.
MULTI_LAYER = (".gpkg", ".gdb")


@dataclass(frozen=True)
class ConstraintLayers:
    """The constraint layers of a check and the user files they were read from."""

    layers: dict[str, GeoDataFrame | None]  #: by rule layer name; None: not available
    files: list[Path] = field(default_factory=list)  #: the user files read, in the order given

    def titled(self, rule_set: RuleSet) -> dict[str, GeoDataFrame]:
        """The layers found, by the Chinese name of their first rule (for report legends)."""
        return {rule_set.layer_title(k): v for k, v in self.layers.items() if v is not None}


def gather(rule_set: RuleSet, against: Sequence[str] | None = None) -> ConstraintLayers:
    """The constraint layers ``rule_set`` needs, packaged or from the files in ``against``.

    Parameters
    ----------
    rule_set
        The rules; their layer names are the keys of the result.
    against
        The values of ``fzgeo check --against`` (``NAME``, ``NAME=FILE`` or ``FILE``, see the
        module); ``None`` or empty: the packaged layers of every rule.

    Returns
    -------
    ConstraintLayers
        The layers by rule layer name (user files as read, in their own CRS; packaged layers in
        EPSG:4490) and the user files read.

    Raises
    ------
    ConfigError
        A value names a layer no rule uses.
    """
    wanted = rule_set.layers()
    if not against:
        return ConstraintLayers({name: _packaged(name) for name in wanted})
    found: dict[str, GeoDataFrame | None] = {}
    files: list[Path] = []
    for value in against:
        name, sep, target = value.partition("=")
        if not sep:
            name, target = (value, "") if value in layers.available() else (Path(value).stem, value)
        if name not in wanted:
            raise ConfigError(
                f"--against {value!r}: no rule uses a layer called {name!r}; "
                f"the rules' layers are {', '.join(wanted)}",
                hint="write NAME=FILE with one of those names",
            )
        if target:
            path = Path(target)
            files.append(path)
            layer = _layer_named(path, name)
            found[name] = io.read(path, layer=layer, what=f"constraint layer {name}")
        else:
            found[name] = layers.load(name)
    return ConstraintLayers(found, files)


def _layer_named(path: Path, name: str) -> str | None:
    """The layer called ``name`` of a multi-layer GeoPackage or File GDB, if it holds one."""
    if path.suffix.lower() not in MULTI_LAYER or not path.exists():
        return None
    names = io.list_layers(path)
    return name if len(names) > 1 and name in names else None


def _packaged(name: str) -> GeoDataFrame | None:
    try:
        return layers.load(name)
    except UnknownLayerError:
        return None
