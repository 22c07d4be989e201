#!/usr/bin/env bash
# The README's "run the product" command: installs what is missing, builds, and estimates the
# bundled example files offline (no keys needed). Later this opens the offline VS Code sandbox.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensureDeps.sh
npm run build
echo
echo "== llm-batch estimate examples/classify-reviews.jsonl"
node dist/cli.js estimate examples/classify-reviews.jsonl
echo
echo "== llm-batch estimate examples/with-bad-lines.jsonl (exits 1: it has bad lines)"
node dist/cli.js estimate examples/with-bad-lines.jsonl || true
