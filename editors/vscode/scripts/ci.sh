#!/usr/bin/env bash
# Builds and checks the VS Code extension from a clean checkout: installs the locked npm
# dependencies (npm ci), runs the unit tests, the strict type check, the esbuild bundle, bundles
# the server for linux-x64 (scripts/bundle.py: pip install --target bundled/libs, per Python
# 3.11-3.13) and packages the platform-specific .vsix with `vsce package --target linux-x64`.
# Needs Node >= 20, Python >= 3.11 with pip, and the npm and PyPI registries.
# MISTRAL_VSCODE_TARGET picks another target (linux-arm64, darwin-arm64, darwin-x64, win32-x64).
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
target=${MISTRAL_VSCODE_TARGET:-linux-x64}
python=${PYTHON:-$(command -v python3)}
step "bundle the server for $target ($python scripts/bundle.py)"
"$python" scripts/bundle.py --target "$target"
step "package (vsce --target $target)"
rm -f dist/mistral-lsp.vsix
npx vsce package --no-dependencies --allow-missing-repository --target "$target" --out dist/mistral-lsp.vsix
test -s dist/mistral-lsp.vsix
# Nothing that is not meant to ship: no test data, caches or compiled bytecode.
if unzip -l dist/mistral-lsp.vsix | grep -E '__pycache__|\.pyc$|/tests?/fixtures|node_modules/|/src/.*\.ts$' >&2; then
  echo "ci.sh: the .vsix carries files it should not (above)" >&2
  exit 1
fi
step "done: $(du -h dist/mistral-lsp.vsix | cut -f1) dist/mistral-lsp.vsix ($target)"
