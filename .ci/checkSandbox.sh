#!/usr/bin/env bash
# CI: runs the README's first command exactly as written (`npm run sandbox`) in the background,
# waits for the URL it prints, checks that the page answers with the VS Code workbench, then stops
# it (its whole process group) and checks that nothing of it is left listening. On a clean clone
# this is the whole first-run path: npm ci, build, apt packages, Node 24, code-server, start.
# The sandbox is stopped before the caller goes on, so its port (8080, or a free one if 8080 is
# taken) is free again for the end-to-end tests, which pick free ports of their own.
#   bash .ci/checkSandbox.sh [timeout seconds for the URL to appear, default 1200]
set -euo pipefail
cd "$(dirname "$0")/.."
timeout_s=${1:-1200}
work=$(mktemp -d)
log=$work/sandbox.log
pid=

show_log() { sed 's/^/   | /' "$log"; }

# Stops the sandbox's process group: SIGTERM (the sandbox then stops code-server and the emulator
# itself), SIGKILL for whatever is left after 20 s. Runs on every exit, so a failed check leaves
# nothing behind.
stop_sandbox() {
  [ -n "$pid" ] || return 0
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do
    kill -0 -- "-$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 -- "-$pid" 2>/dev/null; then
    echo "   the sandbox did not stop within 20 s of SIGTERM; killing its process group" >&2
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  pid=
}
trap 'stop_sandbox; rm -rf "$work"' EXIT

# Job control on for this one start: the background job gets a process group of its own (its id
# is the job's pid), so npm, the shell script and node under it can be stopped together.
set -m
npm run sandbox >"$log" 2>&1 </dev/null &
pid=$!
set +m

url=
deadline=$((SECONDS + timeout_s))
while [ -z "$url" ]; do
  url=$(sed -nE 's/^LLM Batch Runner sandbox: (http:\/\/127\.0\.0\.1:[0-9]+\/[^ ]*)$/\1/p' "$log" | head -1)
  [ -n "$url" ] && break
  if ! kill -0 "$pid" 2>/dev/null; then
    show_log
    echo "npm run sandbox exited before printing its URL" >&2
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    show_log
    echo "npm run sandbox printed no URL within ${timeout_s}s" >&2
    exit 1
  fi
  sleep 1
done
show_log
echo "   sandbox URL: $url"

# The page itself: code-server serves the workbench shell for the folder, with HTTP 200.
page=$work/page.html
status=$(curl -sS -o "$page" -w '%{http_code}' --max-time 30 "$url") || status="no answer"
if [ "$status" != 200 ]; then
  echo "GET $url answered $status, not 200" >&2
  exit 1
fi
if ! grep -q 'vs/code/browser/workbench/workbench' "$page"; then
  head -c 2000 "$page" >&2
  echo "GET $url answered 200 but not with the VS Code workbench page" >&2
  exit 1
fi
echo "   GET $url: 200, the workbench page ($(wc -c <"$page") bytes)"

stop_sandbox
# Nothing may still answer on the sandbox's port (code-server runs in a process group of its own,
# which the sandbox stops on SIGTERM).
origin=${url%%/\?*}
if curl -s -o /dev/null --max-time 5 "$origin/healthz"; then
  echo "something still answers on $origin after the sandbox stopped" >&2
  exit 1
fi
echo "   stopped; nothing answers on $origin"
