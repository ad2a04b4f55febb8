#!/bin/sh
# Vendor the web view's map library from its npm packages into web/static/vendor/: the dist
# files and the licence of each, nothing else. Run again to update (change the versions).
set -eu
LEAFLET=leaflet@1.9.4
CLUSTER=leaflet.markercluster@1.5.3
root=$(cd "$(dirname "$0")/.." && pwd)
vendor="$root/web/static/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "$LEAFLET" "$CLUSTER" >/dev/null
mkdir leaflet cluster
tar -xzf leaflet-*.tgz -C leaflet
tar -xzf leaflet.markercluster-*.tgz -C cluster
rm -rf "$vendor/leaflet" "$vendor/leaflet.markercluster"
mkdir -p "$vendor/leaflet/images" "$vendor/leaflet.markercluster"
cp leaflet/package/dist/leaflet.js leaflet/package/dist/leaflet.css "$vendor/leaflet/"
cp leaflet/package/dist/images/*.png "$vendor/leaflet/images/"
cp leaflet/package/LICENSE "$vendor/leaflet/LICENSE"
cp cluster/package/dist/leaflet.markercluster.js cluster/package/dist/MarkerCluster.css \
    cluster/package/dist/MarkerCluster.Default.css "$vendor/leaflet.markercluster/"
cp cluster/package/MIT-LICENCE.txt "$vendor/leaflet.markercluster/LICENSE" 2>/dev/null \
    || cp cluster/package/LICENSE* "$vendor/leaflet.markercluster/"
printf '%s\n%s\n' "$LEAFLET" "$CLUSTER" > "$vendor/VERSIONS"
echo "vendored $LEAFLET and $CLUSTER into $vendor"
