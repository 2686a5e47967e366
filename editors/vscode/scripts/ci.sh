#!/usr/bin/env bash
# Builds and checks the VS Code extension from a clean checkout: installs the locked npm
# dependencies (npm ci), runs the unit tests, the strict type check, the esbuild bundle and
# `vsce package`. Needs Node >= 20 and the npm registry.
#
#   scripts/ci.sh                 everything
#   scripts/ci.sh --install-only  only `npm ci` (pytest's tests/test_vscode_extension.py runs the rest)
#   scripts/ci.sh --no-install    reuse node_modules
set -euo pipefail
cd "$(dirname "$0")/.."

install=1
checks=1
case "${1:-}" in
  --install-only) checks=0 ;;
  --no-install) install=0 ;;
  "") ;;
  *) echo "usage: $0 [--install-only|--no-install]" >&2; exit 2 ;;
esac

export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "ci.sh: Node >= 20 needed, found $(node --version)" >&2
  exit 1
fi

step() { echo "== vscode: $* ($(date +%T))"; }

if [ "$install" = 1 ]; then
  step "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
[ "$checks" = 1 ] || exit 0

step "unit tests (vitest)"
npm test --silent
step "type check (tsc --noEmit)"
npm run --silent typecheck
step "bundle (esbuild)"
npm run --silent compile -- --production
step "package (vsce)"
rm -f dist/mistral-lsp.vsix
npm run --silent package
test -s dist/mistral-lsp.vsix
step "done: $(du -h dist/mistral-lsp.vsix | cut -f1) dist/mistral-lsp.vsix"
