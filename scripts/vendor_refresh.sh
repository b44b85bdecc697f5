#!/usr/bin/env bash
# Refresh web/static/vendor/ from the npm packages pinned in package.json.
#
# The app serves htmx, ECharts and its Chinese web font itself (no CDN: the deployments may have no internet, and a
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
# npm copies a package's "funding" link into the lock file; the lock keeps no addresses at all.
node -e '
const fs = require("fs");
const lock = JSON.parse(fs.readFileSync("package-lock.json", "utf8"));
for (const entry of Object.values(lock.packages || {})) { delete entry.funding; }
fs.writeFileSync("package-lock.json", JSON.stringify(lock, null, 2) + "\n");
'

version_of() {
    node -p "require('./node_modules/$1/package.json').version"
}

pinned_of() {
    node -p "require('./package.json').dependencies['$1']"
}

font="@fontsource-variable/noto-sans-sc"
for pkg in htmx.org echarts "$font" node-source-han-sans-sc; do
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
    "$font $font/LICENSE LICENSE.noto-sans-sc.txt"
    "$font $font/index.css noto-sans-sc/index.css"
)
# Noto Sans SC (SIL OFL 1.1), variable weight, cut by Fontsource into about a hundred woff2 files
# by unicode-range: a browser downloads only the pieces holding the characters a page shows, so a
# machine without any Chinese font still shows Chinese. Only the woff2 files travel (index.css
# names no other format); they keep their folder so index.css's relative URLs hold.
for path in node_modules/"$font"/files/*.woff2; do
    files+=("$font $font/files/$(basename "$path") noto-sans-sc/files/$(basename "$path")")
done

staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT
{
    echo "# Written by scripts/vendor_refresh.sh from package.json / package-lock.json."
    echo "# package@version  file  sha256"
} > "$staging/VERSIONS.txt"
for entry in "${files[@]}"; do
    read -r pkg source target <<< "$entry"
    mkdir -p "$(dirname "$staging/$target")"
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
cp -r "$staging"/. "$vendor/"
find "$vendor" -type d -exec chmod 755 {} +
find "$vendor" -type f -exec chmod 644 {} +
grep -v noto-sans-sc/files/ "$vendor/VERSIONS.txt"
echo "... and $(find "$vendor/noto-sans-sc/files" -name '*.woff2' | wc -l) woff2 files, $(du -sh "$vendor/noto-sans-sc" | cut -f1) in noto-sans-sc/"
