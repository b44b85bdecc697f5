#!/usr/bin/env bash
# Refresh web/static/vendor/ from the npm packages pinned in package.json.
#
# The app serves htmx and ECharts itself (no CDN: the deployments may have no internet, and a
# page should not depend on a third party). To upgrade, change the exact versions in
# package.json, delete package-lock.json, run this, check the app, and commit all of it.
# node_modules/ is only a staging area and is git-ignored.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
vendor="web/static/vendor"

# The lock file records no registry URL, only integrity hashes, so it works with any mirror.
npm_flags=(--ignore-scripts --no-audit --no-fund --omit-lockfile-registry-resolved)
if [[ -f package-lock.json ]]; then
    npm ci "${npm_flags[@]}"
else
    npm install "${npm_flags[@]}"
fi

version_of() {
    node -p "require('./node_modules/$1/package.json').version"
}

pinned_of() {
    node -p "require('./package.json').dependencies['$1']"
}

for pkg in htmx.org echarts node-source-han-sans-sc; do
    if [[ "$(version_of "$pkg")" != "$(pinned_of "$pkg")" ]]; then
        echo "installed $pkg@$(version_of "$pkg") is not the pinned $(pinned_of "$pkg")" >&2
        exit 1
    fi
done

# package  source (under node_modules/)  target (under web/static/vendor/)
# echarts.min.js is the full build (it has the map series); it bundles zrender and tslib, whose
# licences therefore travel with it.
files=(
    "htmx.org htmx.org/dist/htmx.min.js htmx.min.js"
    "htmx.org htmx.org/LICENSE LICENSE.htmx.txt"
    "echarts echarts/dist/echarts.min.js echarts.min.js"
    "echarts echarts/LICENSE LICENSE.echarts.txt"
    "echarts echarts/NOTICE NOTICE.echarts.txt"
    "echarts echarts/licenses/LICENSE-d3 LICENSE-d3.echarts.txt"
    "zrender zrender/LICENSE LICENSE.zrender.txt"
    "tslib tslib/LICENSE.txt LICENSE.tslib.txt"
)

staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT
{
    echo "# Written by scripts/vendor_refresh.sh from package.json / package-lock.json."
    echo "# package@version  file  sha256"
} > "$staging/VERSIONS.txt"
for entry in "${files[@]}"; do
    read -r pkg source target <<< "$entry"
    cp "node_modules/$source" "$staging/$target"
    sum="$(sha256sum "$staging/$target" | cut -d' ' -f1)"
    echo "$pkg@$(version_of "$pkg")  $target  $sum" >> "$staging/VERSIONS.txt"
done

# The PDF font (manifests, contracts, the 台账): a GB 2312 subset of Source Han Sans SC, renamed as
# the SIL OFL asks of a modified version (scripts/font_subset.py); its licence travels with it.
python="${PYTHON:-python3}"
"$python" scripts/font_subset.py \
    node_modules/node-source-han-sans-sc/SourceHanSansSC-Regular.otf "$staging/WastematchSansSC-Regular.ttf"
for entry in \
    "WastematchSansSC-Regular.ttf" \
    "LICENSE.source-han-sans.txt"; do
    if [[ "$entry" == LICENSE* ]]; then
        cp node_modules/node-source-han-sans-sc/LICENSE "$staging/$entry"
    fi
    sum="$(sha256sum "$staging/$entry" | cut -d' ' -f1)"
    echo "node-source-han-sans-sc@$(version_of node-source-han-sans-sc)  $entry  $sum" >> "$staging/VERSIONS.txt"
done

rm -rf "$vendor"
mkdir -p "$vendor"
cp "$staging"/* "$vendor/"
chmod 644 "$vendor"/*
cat "$vendor/VERSIONS.txt"
