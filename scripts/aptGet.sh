#!/usr/bin/env bash
# apt-get that waits for another install instead of failing on its lock (unattended-upgrades, a
# second terminal, another project's setup): as root, or through sudo, non-interactive.
#   bash scripts/aptGet.sh update -qq
#   bash scripts/aptGet.sh install -y -qq --no-install-recommends chromium
# `install` waits on the dpkg lock itself (DPkg::Lock::Timeout). `update` takes the package lists'
# lock, which apt (2.6 here) does not wait for whatever that option says, so it is tried again
# while the lock is held. Either way for up to APT_LOCK_WAIT_SECONDS (default 300).
set -euo pipefail
wait_s=${APT_LOCK_WAIT_SECONDS:-300}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

err=$(mktemp)
trap 'rm -f "$err"' EXIT
deadline=$((SECONDS + wait_s))
waiting=false
while :; do
  status=0
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout="$wait_s" "$@" 2>"$err" || status=$?
  if [ "$status" -ne 0 ] && grep -qE 'Could not get lock|Unable to lock' "$err" && [ "$SECONDS" -lt "$deadline" ]; then
    if [ "$waiting" = false ]; then
      echo "apt-get $1: $(grep -m1 'Could not get lock' "$err" || head -1 "$err"); waiting up to ${wait_s}s" >&2
      waiting=true
    fi
    sleep 3
    continue
  fi
  cat "$err" >&2
  exit "$status"
done
