#!/usr/bin/env bash
# End-to-end: a keyset with App Context user events off (`serve --no-events user`).
# A save in the TUI gets no event back, and the TUI says that events seem to be off
# instead of silently showing stale data; with events on, the same save says nothing.
source "$(dirname "$0")/lib.sh"
start_server --no-events user
id=e2e-events-user
cli users set "$id" --name "Before" >/dev/null

save_once() {
  select_user "$id"
  wait_for "User $id"
  keys e
  wait_for "Edit user $id"
  keys End C-u
  typed "$1"
  keys C-s
  wait_for "Saved user $id"
}

start_tui
save_once "Saved Without Events"
wait_for "events seem to be off" 120
ok "a save without its event says events seem to be off"
keys q
wait_for "EXITED:0"

stop_server
restart_server
wait_eq '"Saved Without Events"' user_field "$id" name
start_tui
save_once "Saved With Events"
sleep 7
screen | grep -qF "events seem to be off" && fail "events are on, yet the TUI says they are off"
ok "with events on, the same save says nothing"
keys q
wait_for "EXITED:0"
terminal_restored
e2e_done
