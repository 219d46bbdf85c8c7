"""What a layer builder is given: the kind it builds and a way to read the other layers.

The registry (:mod:`fzgeo.plan.layers`) makes a :class:`BuildContext` for every layer it builds
and passes its own :func:`~fzgeo.plan.layers.load` in it. Builders (:mod:`fzgeo.plan.ecology`,
:mod:`fzgeo.plan.transport`, :mod:`fzgeo.plan.sanqu_standin`) and :mod:`fzgeo.plan.placement`
read other layers only through that ``load``, never by importing the registry, so the registry
sits above everything it builds and no import cycle runs through it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

from geopandas import GeoDataFrame

from fzgeo.plan.schema import LayerKind

#: reads the layer of that name, built and validated, in EPSG:4490 (a copy the caller may change)
Load: TypeAlias = Callable[[str], GeoDataFrame]


@dataclass(frozen=True)
class BuildContext:
    """What a builder gets: the kind it builds and the loader of the other layers."""

    kind: LayerKind  #: the layer kind being built (its ``build`` section says how)
    load: Load  #: other layers by name; building one that is being built is a ConfigError
