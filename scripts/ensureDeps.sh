#!/usr/bin/env bash
# Lets `npm test` work on a fresh clone: installs the locked dependencies when they are missing
# or older than package-lock.json, and does nothing otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
