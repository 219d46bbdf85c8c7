#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need, runs ruff and mypy,
# then pytest.
# System packages (Debian): Chromium for the web-map tests, QGIS for the QGIS tests, PostgreSQL
# with PostGIS for the database tests, CJK fonts for rendered maps. Installed only when missing.
# Extra arguments go to pytest, e.g. `bash tools/test.sh -k crs`.
set -euo pipefail
cd "$(dirname "$0")/.."

SYSTEM_PACKAGES=(chromium chromium-driver python3-qgis qgis-providers postgresql-15-postgis-3 fonts-noto-cjk gdal-bin)
missing=()
for pkg in "${SYSTEM_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "installing system packages: ${missing[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

python3 -m pip install -q --disable-pip-version-check -e '.[dev]'
python3 -m ruff check fzgeo tests benchmarks tools
python3 -m mypy fzgeo
exec python3 -m pytest "$@"
