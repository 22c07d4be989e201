#!/usr/bin/env bash
# The README's "run the product" command (`npm run sandbox`): installs what is missing, builds,
# installs the workbench (code-server + Chromium, scripts/workbench/install.sh), then starts every
# provider's batch emulator and code-server with the extension on 127.0.0.1, on a sample workspace
# in .sandbox/workspace, with user settings that point every provider at its emulator. Prints
#   LLM Batch Runner sandbox: http://127.0.0.1:PORT/?folder=...
# and stays in the foreground until Ctrl-C. Options (after `--`): --port N (default 8080),
# --emulator-port N (the first of four), --time-scale fast|default|realistic, --keep-workspace.
#   npm run sandbox -- --estimate-only   builds and runs `llm-batch estimate` on the examples only
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensureDeps.sh

if [[ " $* " == *" --estimate-only "* ]]; then
  npm run build
  echo
  echo "== llm-batch estimate examples/classify-reviews.jsonl"
  node dist/cli.js estimate examples/classify-reviews.jsonl
  echo
  echo "== llm-batch estimate examples/with-bad-lines.jsonl (exits 1: it has bad lines)"
  node dist/cli.js estimate examples/with-bad-lines.jsonl || true
  exit 0
fi

npm run build
bash scripts/workbench/install.sh
exec node --import tsx scripts/workbench/sandbox.ts "$@"
