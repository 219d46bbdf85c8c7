"""The plan as layers: the registry of layer kinds and everything that builds or measures them.

:mod:`fzgeo.plan.layers`
    the registry: ``available()``, ``kind(name)``, ``load(name)`` (built once, validated);
:mod:`fzgeo.plan.context`
    :class:`~fzgeo.plan.context.BuildContext`, what every builder is given: the kind and the
    registry's ``load``, through which builders and placement read other layers (they never
    import the registry, which imports them);
:mod:`fzgeo.plan.schema`
    the typed layer model (:class:`~fzgeo.plan.schema.LayerKind`) and its validation;
:mod:`fzgeo.plan.placement`, :mod:`fzgeo.plan.gazetteer`, :mod:`fzgeo.plan.admin`
    schematic geometry from named places, the gazetteer, the administrative boundaries (and the
    city and county shapes in EPSG:4548 that placement and the builders share);
:mod:`fzgeo.plan.ecology`, :mod:`fzgeo.plan.transport`, :mod:`fzgeo.plan.sanqu_standin`
    the builders of derived layers (each takes a :class:`~fzgeo.plan.context.BuildContext`);
:mod:`fzgeo.plan.sanqu`
    loading official 三区三线 data through a field-mapping profile;
:mod:`fzgeo.plan.coverage`, :mod:`fzgeo.plan.indicators`
    the inventory of plan elements against the layers, and the plan's spatial targets measured.
"""
