#!/usr/bin/env bash
# Node.js 24 LTS for this project. A machine that has it already uses its own; any other gets the
# npm registry's `node-linux-<arch>` package (binary and headers) unpacked into the cache, so
# nothing outside the repository changes. npm itself is the machine's: it runs on whichever node
# comes first on PATH.
#
# Usage:
#   source deploy/local/node.sh            puts Node 24 first on PATH in the current shell
#   bash deploy/local/node.sh <command…>   runs one command with it
#   bash deploy/local/node.sh env          prints the exports, for `eval "$(…)"`
#
# npm_config_nodedir points native addons (better-sqlite3) at the headers of the node that runs
# them: without it node-gyp builds against /usr/include/node, the machine's other Node.
#
# Everything downloaded goes to $CIRCULAR_CACHE_DIR (default <repo>/.cache), git-ignored.

# Newest Node 24 LTS release the project was tested on.
CIRCULAR_NODE_VERSION="${CIRCULAR_NODE_VERSION:-24.22.3}"

circular_node_dir() {
  local here repo cache arch
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  repo="$(cd "$here/../.." && pwd)"
  cache="${CIRCULAR_CACHE_DIR:-$repo/.cache}"
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) printf 'deploy/local/node.sh: no Node.js package for %s\n' "$(uname -m)" >&2; return 1 ;;
  esac
  local dir="$cache/node-$CIRCULAR_NODE_VERSION-linux-$arch"
  if [[ ! -x "$dir/bin/node" ]]; then
    printf 'node: fetching Node.js %s (node-linux-%s) from the npm registry into %s\n' "$CIRCULAR_NODE_VERSION" "$arch" "$dir" >&2
    local work
    work="$(mktemp -d)" || return 1
    # `npm pack` only downloads the tarball: nothing is installed and no package script runs.
    if ! (cd "$work" && npm pack --silent "node-linux-$arch@$CIRCULAR_NODE_VERSION" >/dev/null && tar -xzf "node-linux-$arch-$CIRCULAR_NODE_VERSION.tgz"); then
      rm -rf "$work"
      printf 'deploy/local/node.sh: could not fetch node-linux-%s@%s\n' "$arch" "$CIRCULAR_NODE_VERSION" >&2
      return 1
    fi
    mkdir -p "$cache" && rm -rf "$dir" && mv "$work/package" "$dir" && rm -rf "$work" || return 1
    "$dir/bin/node" --version >/dev/null || return 1
  fi
  printf '%s\n' "$dir"
}

# The machine's own node when it is already a 24.x, else the cached one.
circular_node_exports() {
  local current dir
  current="$(node --version 2>/dev/null || true)"
  if [[ "$current" == v24.* ]]; then
    dir="$(cd "$(dirname "$(command -v node)")/.." && pwd)"
    [[ -f "$dir/include/node/node.h" ]] && printf 'export npm_config_nodedir=%q\n' "$dir"
    return 0
  fi
  dir="$(circular_node_dir)" || return 1
  printf 'export PATH=%q:"$PATH"\nexport npm_config_nodedir=%q\n' "$dir/bin" "$dir"
}

if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
  # Sourced: change this shell.
  eval "$(circular_node_exports)" && printf 'node: %s (%s)\n' "$(node --version)" "$(command -v node)" >&2
else
  set -euo pipefail
  case "${1:-}" in
    env) circular_node_exports ;;
    "") printf 'usage: source deploy/local/node.sh | bash deploy/local/node.sh env | bash deploy/local/node.sh <command…>\n' >&2; exit 2 ;;
    *) eval "$(circular_node_exports)" && exec "$@" ;;
  esac
fi
