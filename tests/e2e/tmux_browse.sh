#!/usr/bin/env bash
# End-to-end: the real binary in a real terminal (tmux). Starts appctx with no keyset
# (embedded server, demo keyset, fresh database), waits for the users list, searches,
# opens a user, opens one of its memberships, quits, and checks the terminal is
# restored (no alternate screen, cursor visible) and the exit status is 0.
set -euo pipefail
bin=${1:-target/release/appctx}
[ -x "$bin" ] || { echo "e2e: $bin not built (cargo build --release)" >&2; exit 1; }
tmp=$(mktemp -d)
session="appctx-e2e-$$"
cleanup() { tmux kill-session -t "$session" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

# Isolate config and data so the run never touches the user's own.
export XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" HOME="$tmp/home"
unset PUBNUB_SUBSCRIBE_KEY PUBNUB_PUBLISH_KEY PUBNUB_SECRET_KEY PUBNUB_AUTH_KEY PUBNUB_USER_ID PUBNUB_ORIGIN
mkdir -p "$HOME"
tmux new-session -d -s "$session" -x 120 -y 40 \
  "env XDG_CONFIG_HOME='$XDG_CONFIG_HOME' XDG_DATA_HOME='$XDG_DATA_HOME' HOME='$HOME' '$bin'; echo \"EXITED:\$?\"; sleep 60"
tmux set -sg escape-time 0   # deliver Escape at once

screen() { tmux capture-pane -p -t "$session"; }
wait_for() {
  for _ in $(seq 1 150); do
    if screen | grep -qF -- "$1"; then return 0; fi
    sleep 0.1
  done
  echo "e2e: timed out waiting for: $1" >&2
  screen >&2
  exit 1
}
keys() { tmux send-keys -t "$session" "$@"; }

started=$(date +%s%N)
wait_for "Users shown 100 of 265"
echo "e2e: users list drawn after $(( ($(date +%s%N) - started) / 1000000 )) ms (process start included)"
keys /
keys -l "abigail"
wait_for "on the server"        # the search reached the server (265 users, 100 loaded)
keys Enter                      # keep the search
wait_for "User user-abigail-anderson"
keys Enter                      # focus the user's memberships
wait_for "Memberships shown"
keys Enter                      # open the selected membership's channel
wait_for "Members shown"
screen | grep -qF "Channel " || { echo "e2e: no channel detail" >&2; screen >&2; exit 1; }
keys Escape                     # back to the user
wait_for "User user-abigail-anderson"
keys q
wait_for "EXITED:0"
[ "$(tmux display -p -t "$session" '#{alternate_on}')" = 0 ] || { echo "e2e: still in the alternate screen" >&2; exit 1; }
[ "$(tmux display -p -t "$session" '#{cursor_flag}')" = 1 ] || { echo "e2e: cursor left hidden" >&2; exit 1; }
echo "e2e: 1 passed, 0 failed"
