#!/usr/bin/env bash
# The e2e suite in one command: code-server + Chromium (cached), the extension package, then mocha.
#   test/e2e/run.sh [mocha args…]        e.g. test/e2e/run.sh --grep quick-fix
#   GREEN_AI_E2E_VSIX=/path/x.vsix       test that package instead of building build/green-ai.vsix
set -euo pipefail
cd "$(dirname "$0")/../.."   # repository root

SECONDS=0
export GREEN_AI_E2E_CODE_SERVER
GREEN_AI_E2E_CODE_SERVER="$(bash test/e2e/setup-code-server.sh | tail -n 1)"
echo "[e2e] code-server ready in ${SECONDS} s: $GREEN_AI_E2E_CODE_SERVER" >&2

if [ -z "${GREEN_AI_E2E_VSIX:-}" ]; then
  mkdir -p build   # vsce -o does not create the folder
  SECONDS=0
  npm run --silent package >&2
  echo "[e2e] build/green-ai.vsix packaged in ${SECONDS} s" >&2
fi

exec npx mocha --config test/e2e/.mocharc.json "$@"
