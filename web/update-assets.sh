#!/usr/bin/env bash
# update-assets.sh refreshes the vendored browser builds: GraphiQL's in web/static/graphiql/,
# and the graphql-ws client of the live dashboard in web/static/dashboard/.
#
# It fetches the pinned package tarballs with `npm pack` into a temporary directory (never
# into the repository), copies only the minified browser files and the license texts, and
# removes the temporary directory. Our own files there (page.js, page.css) are not touched.
#
# graphql-ws is the dashboard's client for the orderStatusChanged subscription
# (graphql-transport-ws); its package ships a UMD build (umd/graphql-ws.min.js, global
# `graphqlWs`) that a plain <script> tag loads. The test TestDashboardInBrowser drives it.
#
# To move to other versions, change the pins below, run `bash web/update-assets.sh`, then
# `go test ./web/` (the browser test loads the page in headless Chromium) and update the
# table in web/static/README.md.
#
# Constraints on the pins:
#   - graphiql 4.x is the last major that ships a UMD build (graphiql.min.js) usable from a
#     plain <script> tag; 5.x is ESM-only and would need a bundler.
#   - graphiql 4.x's UMD build calls React 18 internals, and React 19 ships no UMD build,
#     so react and react-dom stay on 18.x.
#   - graphiql's UMD build bundles graphql, @graphiql/toolkit and graphql-ws; nothing else
#     is needed for subscriptions.
#   - @graphiql/plugin-explorer must match graphiql's @graphiql/react (0.34.x for 4.1.x); its
#     UMD build bundles graphiql-explorer, whose license is copied too.
set -euo pipefail

GRAPHIQL=4.1.2
PLUGIN_EXPLORER=4.0.6
GRAPHIQL_EXPLORER=0.9.0 # bundled inside plugin-explorer's UMD build; only its LICENSE is copied
REACT=18.3.1            # react and react-dom
GRAPHQL_WS=6.4.2        # the dashboard's client (web/static/dashboard)

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dest="$here/static/graphiql"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

cd "$tmp"
for spec in "graphiql@$GRAPHIQL" "@graphiql/plugin-explorer@$PLUGIN_EXPLORER" \
	"graphiql-explorer@$GRAPHIQL_EXPLORER" "react@$REACT" "react-dom@$REACT" "graphql-ws@$GRAPHQL_WS"; do
	tgz="$(npm pack --silent --ignore-scripts "$spec" | tail -n 1)"
	name="${spec%@*}"
	mkdir -p "pkg/$name"
	tar -xzf "$tgz" -C "pkg/$name" --strip-components=1
done

# A UMD file's trailing sourceMappingURL comment points at a map we don't ship; strip it so
# that opening the browser's devtools doesn't log 404s.
copy_js() { sed '/^\/\/# sourceMappingURL=/d' "$1" >"$2"; }

mkdir -p "$dest/licenses"
copy_js pkg/graphiql/graphiql.min.js "$dest/graphiql.min.js"
cp pkg/graphiql/graphiql.min.css "$dest/graphiql.min.css"
copy_js pkg/@graphiql/plugin-explorer/dist/index.umd.js "$dest/plugin-explorer.min.js"
cp pkg/@graphiql/plugin-explorer/dist/style.css "$dest/plugin-explorer.css"
copy_js pkg/react/umd/react.production.min.js "$dest/react.production.min.js"
copy_js pkg/react-dom/umd/react-dom.production.min.js "$dest/react-dom.production.min.js"

cp pkg/graphiql/LICENSE "$dest/licenses/graphiql.LICENSE"
cp pkg/graphiql-explorer/LICENSE "$dest/licenses/graphiql-explorer.LICENSE"
cp pkg/react/LICENSE "$dest/licenses/react.LICENSE"
cp pkg/react-dom/LICENSE "$dest/licenses/react-dom.LICENSE"
# @graphiql/plugin-explorer ships no LICENSE file; say where its terms are.
license="$(node -p 'require("./pkg/@graphiql/plugin-explorer/package.json").license')"
cat >"$dest/licenses/plugin-explorer.LICENSE" <<NOTE
@graphiql/plugin-explorer $PLUGIN_EXPLORER declares "license": "$license" in its package.json
and ships no LICENSE file. It is published from the same repository (graphql/graphiql) as
graphiql, whose LICENSE, graphiql.LICENSE beside this file, gives those terms.
NOTE

dash="$here/static/dashboard"
mkdir -p "$dash/licenses"
copy_js pkg/graphql-ws/umd/graphql-ws.min.js "$dash/graphql-ws.min.js"
cp pkg/graphql-ws/LICENSE.md "$dash/licenses/graphql-ws.LICENSE"

echo "versions:"
for p in graphiql @graphiql/plugin-explorer graphiql-explorer react react-dom graphql-ws; do
	printf '  %-28s %s\n' "$p" "$(node -p "require('./pkg/$p/package.json').version")"
done
echo "files in $dest:"
(cd "$dest" && find . -type f | sort | xargs ls -l | awk '{printf "  %9d  %s\n", $5, $9}')
echo "files in $dash:"
(cd "$dash" && find . -type f | sort | xargs ls -l | awk '{printf "  %9d  %s\n", $5, $9}')
