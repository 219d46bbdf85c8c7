"""Demo step: publish the web maps (plan overview, transport, and the conflict map) as a site.

Writes ``site/`` (index page with thumbnails, the maps, shared assets; relative links only) and
an offline single-file copy of the plan overview, ``plan_overview_offline.html``. The conflict map
is added when the check step left its output folder: ``ctx.results["check"]`` holding the folder
(a path, or an object/mapping with ``folder``/``out``), or a ``check/`` folder in the demo output
with ``conflicts.gpkg`` in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fzgeo.demo import DemoContext

ORDER = 50


def check_folder(out: Path, results: Mapping[str, Any]) -> Path | None:
    """The check step's output folder, if there is one with a conflicts GeoPackage."""
    from fzgeo.maps.conflict import GPKG

    found = results.get("check")
    candidates: list[Any] = [found, out / "check"]
    if isinstance(found, Mapping):
        candidates[:1] = [found.get("folder"), found.get("out")]
    elif found is not None and not isinstance(found, (str, Path)):
        candidates[:1] = [getattr(found, "folder", None), getattr(found, "out", None)]
    for item in candidates:
        if isinstance(item, (str, Path)) and (Path(item) / GPKG).is_file():
            return Path(item)
    return None


def run(out: Path, ctx: DemoContext) -> None:
    """Publish the maps and write the offline overview."""
    from fzgeo.maps import publish, render

    keys = ["plan_overview", "transport"]
    folder = check_folder(out, ctx.results)
    if folder is not None:
        keys.append("conflicts")
    else:
        print("maps: no check output found; the conflict map is left out")
    entries = publish.site_maps(keys, folder)
    index = publish.publish(out / "site", entries)
    ctx.wrote(index, f"web map site ({len(entries)} maps)")
    spec, map_layers = entries[0]
    offline = render.render_spec(spec, map_layers, offline_mode=True)
    ctx.wrote(offline.write(out / "plan_overview_offline.html"), "offline plan overview")
    ctx.results["maps"] = {"site": index, "offline": out / "plan_overview_offline.html"}
