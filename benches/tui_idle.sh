#!/usr/bin/env bash
# Idle CPU of the real TUI (issue 4 budget: nothing changing = no CPU): starts
# `appctx` in tmux on a fresh demo database, waits for the first screen and for the
# spinner to stop, then reads the process's CPU time (utime + stime) over 10 s idle.
# Usage: bash benches/tui_idle.sh [path/to/appctx]   (build with cargo build --release)
set -euo pipefail
bin=${1:-target/release/appctx}
tmp=$(mktemp -d)
session="appctx-idle-$$"
trap 'tmux kill-session -t "$session" 2>/dev/null || true; rm -rf "$tmp"' EXIT
mkdir -p "$tmp/home"
tmux new-session -d -s "$session" -x 200 -y 50 \
  "env XDG_CONFIG_HOME='$tmp/config' XDG_DATA_HOME='$tmp/data' HOME='$tmp/home' '$bin'"
for _ in $(seq 1 100); do
  tmux capture-pane -p -t "$session" | grep -qF "Users shown 100 of 265" && break
  sleep 0.1
done
sleep 2 # let every first request finish
pid=$(tmux display -p -t "$session" '#{pane_pid}')
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
before=$(ticks)
sleep 10
after=$(ticks)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
echo "idle CPU over 10 s: $(( (after - before) * 1000 / hz )) ms (target: 0, no redraws or ticks while idle); RSS $(( rss / 1024 )) MB"
