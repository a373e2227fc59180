# Shared by the tmux end-to-end scripts: an isolated home, `appctx serve` on a free
# port with a fresh database, the TUI in a tmux pane pointed at it, and helpers to
# type, wait for text, and read the server's state through the CLI.
# Each check fails the script with the screen printed; `e2e_done` prints the tally.
set -euo pipefail
bin=${1:-target/release/appctx}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
[ -x "$bin" ] || { echo "e2e: $bin not built (cargo build --release)" >&2; exit 1; }
tmp=$(mktemp -d)
session="appctx-e2e-$$-$RANDOM"
server_pid=""
passed=0
cleanup() {
  tmux kill-session -t "$session" 2>/dev/null || true
  tmux kill-session -t "$session-keep" 2>/dev/null || true
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# A session that outlives the TUI's, so the tmux server never shuts down between one
# TUI and the next (a new session racing a server that is exiting fails with
# "server exited unexpectedly").
# The previous script's server may itself still be exiting: try again a few times.
for _ in 1 2 3 4 5; do
  tmux new-session -d -s "$session-keep" "sleep 3600" 2>/dev/null && break
  sleep 0.3
done
tmux has-session -t "$session-keep" || { echo "e2e: cannot start tmux" >&2; exit 1; }

# Never touch the user's own config or data.
export XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" HOME="$tmp/home"
unset PUBNUB_SUBSCRIBE_KEY PUBNUB_PUBLISH_KEY PUBNUB_SECRET_KEY PUBNUB_AUTH_KEY PUBNUB_USER_ID PUBNUB_ORIGIN VISUAL EDITOR
mkdir -p "$HOME"

fail() {
  echo "e2e: FAILED: $*" >&2
  echo "----- screen -----" >&2
  screen >&2 || true
  echo "------------------" >&2
  exit 1
}
ok() { passed=$((passed + 1)); echo "e2e: ok: $*"; }

# `appctx serve` on a free port (demo keyset seeded); sets $origin.
start_server() {
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  origin="http://127.0.0.1:$port"
  "$bin" serve --listen "127.0.0.1:$port" --db "$tmp/server.db" "$@" >"$tmp/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do
    if cli users list --limit 1 >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  cat "$tmp/server.log" >&2
  fail "appctx serve did not start"
}
# How many request-log lines of `serve` match an extended regex. The log is written
# by a background thread and flushed every 200 ms, so it settles first.
log_count() { sleep 0.5; grep -cE "$1" "$tmp/server.log" || true; }
stop_server() { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; server_pid=""; }
restart_server() {
  local port=${origin##*:}
  "$bin" serve --listen "127.0.0.1:$port" --db "$tmp/server.db" >>"$tmp/server.log" 2>&1 &
  server_pid=$!
}

# The CLI against the server (another user of the keyset).
keyset=${E2E_KEYSET:-demo}
cli() { "$bin" --origin "$origin" --subscribe-key "$keyset" --user-id someone-else "$@"; }
# One field of a user, as JSON text (jq-free: python).
user_field() {
  cli users get "$1" | python3 -c 'import sys,json; d=json.load(sys.stdin); d=d.get("data",d); print(json.dumps(d.get(sys.argv[1]), ensure_ascii=False, sort_keys=True))' "$2"
}

# The TUI in tmux against the server; extra args and env (VAR=value) allowed.
start_tui() {
  local envs=() args=()
  for a in "$@"; do
    case "$a" in *=*) envs+=("$a") ;; *) args+=("$a") ;; esac
  done
  tmux kill-session -t "$session" 2>/dev/null || true
  tmux new-session -d -s "$session" -x "${E2E_COLS:-120}" -y "${E2E_ROWS:-40}" \
    "env XDG_CONFIG_HOME='$XDG_CONFIG_HOME' XDG_DATA_HOME='$XDG_DATA_HOME' HOME='$HOME' ${envs[*]:-} '$bin' --origin '$origin' --subscribe-key '$keyset' --user-id e2e-tester ${args[*]:-}; echo \"EXITED:\$?\"; sleep 600"
  tmux set -sg escape-time 0
  wait_for "${E2E_READY:-live}"
}
tui_pid() { pgrep -f -n "^$bin --origin $origin" || true; }

screen() { tmux capture-pane -p -t "$session"; }
wait_for() {
  local text=$1 tries=${2:-150}
  for _ in $(seq 1 "$tries"); do
    if screen | grep -qF -- "$text"; then return 0; fi
    sleep 0.1
  done
  fail "timed out waiting for: $text"
}
wait_gone() {
  local text=$1
  for _ in $(seq 1 150); do
    if ! screen | grep -qF -- "$text"; then return 0; fi
    sleep 0.1
  done
  fail "still on screen: $text"
}
# Polls a command until its output equals the expected text.
wait_eq() {
  local want=$1; shift
  local got=""
  for _ in $(seq 1 100); do
    got=$("$@" 2>/dev/null || true)
    [ "$got" = "$want" ] && return 0
    sleep 0.1
  done
  fail "$* gave '$got', expected '$want'"
}
keys() { tmux send-keys -t "$session" "$@"; }
typed() { tmux send-keys -t "$session" -l "$1"; }
# Opens the users list filtered to exactly one user, so the highlighted row is known.
select_user() {
  keys f
  wait_for "Server filter"
  keys C-u
  typed "id == '$1'"
  keys Enter
  wait_for "shown 1 of 1"
}
terminal_restored() {
  [ "$(tmux display -p -t "$session" '#{alternate_on}')" = 0 ] || fail "still in the alternate screen"
  [ "$(tmux display -p -t "$session" '#{cursor_flag}')" = 1 ] || fail "cursor left hidden"
  [ "$(tmux display -p -t "$session" '#{mouse_any_flag}')" = 0 ] || fail "mouse capture left on"
}
e2e_done() { echo "e2e: $passed passed, 0 failed"; }
