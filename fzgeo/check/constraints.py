"""The constraint layers of a check: packaged layers or the user's files, by the rules' layer names.

A rule names its layer (``eco_redline``, ``basic_farmland``, ...). :func:`gather` finds each one,
either among the packaged layers (:mod:`fzgeo.plan.layers`) or in the files the user gives, as
``fzgeo check --against`` takes them:

``NAME``
    the packaged layer ``NAME``;
``NAME=FILE``
    the layer the rules call ``NAME`` read from ``FILE``; from a GeoPackage, File GDB or zip of
    several layers (datasets), its layer called ``NAME`` (as ``fzgeo sanqu load`` writes them);
``NAME=FILE:LAYER``
    the same from the layer ``LAYER`` of ``FILE`` (what ``--layer`` names for the sites and for
    ``fzgeo export``: a GeoPackage or File GDB layer, or a dataset inside a zip by its path
    without suffix, e.g. ``eco_redline=三区三线.zip:红线``); when ``FILE:LAYER`` is itself an
    existing file, it is that file;
``FILE``
    a file whose stem is such a ``NAME``.

A bare ``NAME`` is the packaged layer only when no file of that name exists (the rule of
``fzgeo export``); otherwise it is that file. Without any, every layer the rules name is taken
from the packaged layers; with some, only those given are used. A layer not found is ``None``:
the check reports its rules as skipped. A file holding several layers, none of them chosen, is
FZ303 listing them, with the ``NAME=FILE:LAYER`` form in the hint (``--layer`` is the sites').
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from geopandas import GeoDataFrame

from fzgeo import io
from fzgeo.check.rules import RuleSet
from fzgeo.errors import ConfigError, FzgeoError, UnknownLayerError
from fzgeo.plan import layers

#: Suffixes of the files that can hold several named layers (a zip: several datasets).
MULTI_LAYER = (".gpkg", ".gdb", ".zip")


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
        The values of ``fzgeo check --against`` (``NAME``, ``NAME=FILE``, ``NAME=FILE:LAYER`` or
        ``FILE``, see the module); ``None`` or empty: the packaged layers of every rule.

    Returns
    -------
    ConstraintLayers
        The layers by rule layer name (user files as read, in their own CRS; packaged layers in
        EPSG:4490) and the user files read.

    Raises
    ------
    ConfigError
        A value names a layer no rule uses.
    InputError
        FZ303 when a file holds several layers and the value chooses none (the message lists
        them); FZ201 when the layer it chooses is not in the file.
    """
    wanted = rule_set.layers()
    if not against:
        return ConstraintLayers({name: _packaged(name) for name in wanted})
    found: dict[str, GeoDataFrame | None] = {}
    files: list[Path] = []
    for value in against:
        name, sep, target = value.partition("=")
        if not sep:
            packaged = value in layers.available() and not Path(value).exists()
            name, target = (value, "") if packaged else (split_layer(value)[0].stem, value)
        if name not in wanted:
            raise ConfigError(
                f"--against {value!r}: no rule uses a layer called {name!r}; "
                f"the rules' layers are {', '.join(wanted)}",
                hint="write NAME=FILE with one of those names",
            )
        if target:
            path, layer = split_layer(target)
            files.append(path)
            found[name] = _read(path, layer or _layer_named(path, name), name, value)
        else:
            found[name] = layers.load(name)
    return ConstraintLayers(found, files)


def split_layer(target: str) -> tuple[Path, str | None]:
    """``FILE`` or ``FILE:LAYER`` -> the file and the layer named (None: not named).

    The text is a file when such a file exists; else the part after the last ``:`` is the layer
    when the part before it is an existing file. Anything else is taken as a file (reading it
    then says it is not found).
    """
    whole = Path(target)
    head, sep, layer = target.rpartition(":")
    if whole.exists() or not sep or not head or not layer or not Path(head).exists():
        return whole, None
    return Path(head), layer


def _read(path: Path, layer: str | None, name: str, value: str) -> GeoDataFrame:
    """Read a constraint file; a choice between layers is asked for in the --against form."""
    try:
        return io.read(path, layer=layer, what=f"constraint layer {name}")
    except (FzgeoError, KeyError) as exc:
        if not isinstance(exc, FzgeoError) or exc.code not in ("FZ303", "FZ201"):
            raise
        exc.message = f"--against {value!r}: {exc.message}"
        exc.hint = (
            f"name the layer after a colon, --against {name}={path}:LAYER with one of those "
            "layers (--layer chooses the sites' layer, not a constraint layer's)"
        )
        exc.args = (str(exc),)
        raise


def _layer_named(path: Path, name: str) -> str | None:
    """The layer called ``name`` of a multi-layer GeoPackage, File GDB or zip, if it has one."""
    if path.suffix.lower() not in MULTI_LAYER or not path.exists():
        return None
    names = io.list_layers(path)
    return name if len(names) > 1 and name in names else None


def _packaged(name: str) -> GeoDataFrame | None:
    try:
        return layers.load(name)
    except UnknownLayerError:
        return None
