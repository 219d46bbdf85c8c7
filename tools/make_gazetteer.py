"""Regenerate layers/gazetteer.geojson from ../shared/data (GeoNames places, OSM stations).

Run from the repository root: ``python tools/make_gazetteer.py [SHARED_DATA_DIR]``.
Both sources are WGS84, which fzgeo treats as CGCS2000 (they agree to a few centimetres).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SEAT_ALIASES = {
    # county-level unit -> name used for its seat point in GeoNames (None = unnamed point)
    "临川区": "抚州市",
    "东乡区": None,
    "南城县": "南城县",
    "黎川县": "日峰镇",
    "南丰县": "南丰县",
    "崇仁县": "崇仁县",
    "乐安县": "乐安县",
    "宜黄县": "宜黄县",
    "金溪县": "秀谷镇",
    "广昌县": "广昌县",
}
SEAT_TOWN = {"东乡区": "孝岗镇"}  # GeoNames has the point but no Chinese name


def main(shared: Path, out: Path) -> None:
    """Write the gazetteer."""
    places = json.loads((shared / "places_geonames.geojson").read_text(encoding="utf-8"))
    stations = json.loads((shared / "railway_stations_osm.geojson").read_text(encoding="utf-8"))
    feats = []
    for f in places["features"]:
        p = f["properties"]
        kind = p["kind"].split(" (")[0].replace(" ", "_")
        name = p["name_zh"]
        aliases: list[str] = []
        county = p["county"]
        if p["in_fuzhou"] and kind in ("county_seat", "prefecture_seat") and county:
            if name is None:
                name = SEAT_TOWN.get(county, p["name"])
            aliases = [county, county[:-1]]
            if county == "临川区":
                aliases += ["抚州", "市中心城区"]
        if name is None:
            name = p["name"]
        feats.append(
            _feature(
                f,
                name,
                aliases,
                kind,
                county,
                p["in_fuzhou"],
                f"GeoNames {p['geonameid']} (CC BY 4.0)",
            )
        )
    for f in stations["features"]:
        p = f["properties"]
        name = p["station_name"] + "站"
        feats.append(
            _feature(
                f,
                name,
                [],
                "railway_station",
                p["county"],
                p["in_fuzhou"],
                "OpenStreetMap station node (ODbL, © OpenStreetMap contributors)",
            )
        )
    out.write_text(
        json.dumps(
            {"type": "FeatureCollection", "features": feats}, ensure_ascii=False, indent=None
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {len(feats)} places to {out}")


def _feature(f, name, aliases, kind, county, in_fuzhou, source):
    x, y = f["geometry"]["coordinates"]
    return {
        "type": "Feature",
        "properties": {
            "name": name,
            "aliases": "|".join(aliases),
            "kind": kind,
            "county": county,
            "in_fuzhou": bool(in_fuzhou),
            "source": source,
        },
        "geometry": {"type": "Point", "coordinates": [round(x, 6), round(y, 6)]},
    }


if __name__ == "__main__":
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/data")
    main(shared, Path("layers/gazetteer.geojson"))
