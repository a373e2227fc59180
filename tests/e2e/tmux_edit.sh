#!/usr/bin/env bash
# End-to-end: every editing flow of the real binary in a real terminal (tmux) against
# `appctx serve`, each checked on the server through the CLI afterwards:
# create, edit, $EDITOR (valid, invalid, unchanged, missing), conflicts (take theirs,
# merge of different fields, a per-field choice), remove + undo, a record removed
# while its editor is open (re-create), the memberships manager as one call, live
# rename / removal / new membership, live off and on again (catch-up), a server
# outage and a frozen server, --read-only, and SIGTERM / SIGHUP restoring the terminal.
# Usage: tests/e2e/tmux_edit.sh [path/to/appctx]
source "$(dirname "$0")/lib.sh"

start_server
id=e2e-user-1

# A stand-in for $EDITOR whose behaviour the test picks per run through a file.
mode_file="$tmp/editor-mode"
cat >"$tmp/editor.sh" <<'EOS'
#!/bin/sh
for f; do :; done            # the file is the last argument ("--wait" comes first)
case "$(cat "$EDITOR_MODE")" in
  valid) sed -i 's/"name": .*/"name": "From The Editor",/' "$f" ;;
  invalid) printf '{"name": "half' >"$f" ;;
  unchanged) : ;;
esac
EOS
chmod +x "$tmp/editor.sh"
echo valid >"$mode_file"

start_tui "EDITOR='$tmp/editor.sh --wait'" "EDITOR_MODE='$mode_file'"
wait_for "Users shown 100 of 265"
wait_for "(local server 127.0.0.1:"          # appctx serve is not called PubNub

# --- create with n and a typed custom value -----------------------------------------
keys n
wait_for "New user"
typed "$id"
keys Tab
typed "E2E Person"
keys C-n
typed "tier"
keys Tab
typed "gold"
keys C-s
wait_for "Saved user $id"
wait_eq '"E2E Person"' user_field "$id" name
wait_eq '{"tier": "gold"}' user_field "$id" custom
ok "n creates a user with a custom value"

# --- :user ID opens any user; a missing one offers n with the id typed in ---------------
keys :
wait_for "Command (Enter runs"
typed "user nobody-here"
keys Enter
wait_for "No user with id nobody-here: n creates it"
keys n
wait_for "New user"
screen | grep -qF "nobody-here" || fail "the new-user form does not carry the id"
keys Escape
keys Escape                               # back to the list
keys :
typed "user $id"
keys Enter
wait_for "User $id"
keys Escape
ok ":user opens a user by id; a missing id offers to create it"

# --- edit with e ---------------------------------------------------------------------
select_user "$id"
wait_for "User $id"
keys e
wait_for "Edit user $id"
keys End C-u
typed "E2E Renamed"
keys C-s
wait_for "Saved user $id"
wait_eq '"E2E Renamed"' user_field "$id" name
# Our own save is not announced as someone else's change.
sleep 1
screen | grep -qF "changed on the server" && fail "own save shown as a remote change"
ok "e edits in place; the own save is not flashed as remote"

# --- Ctrl-e: valid, invalid, unchanged ---------------------------------------------------
keys e
wait_for "Edit user $id"
keys C-e
wait_for "From The Editor"
screen | grep -qF "EXITED" && fail "appctx exited on return from \$EDITOR"
keys C-s
wait_for "Saved user $id"
wait_eq '"From The Editor"' user_field "$id" name
ok "Ctrl-e with a valid edit loads it into the form and saves"

echo invalid >"$mode_file"
keys e
wait_for "Edit user $id"
keys End C-u
typed "Typed Before"
keys C-e
wait_for "\$EDITOR:"
wait_for "Ctrl-e reopens"
screen | grep -qF "Typed Before" || fail "the form lost what was typed before \$EDITOR"
echo unchanged >"$mode_file"
keys C-e                                 # reopens the kept invalid text, unchanged
wait_for "no changes from \$EDITOR"
screen | grep -qF "Typed Before" || fail "an unchanged \$EDITOR run changed the form"
keys Escape
wait_for "Discard changes?"
keys y
wait_gone "Edit user $id"
wait_eq '"From The Editor"' user_field "$id" name
ok "Ctrl-e with invalid JSON keeps the form and the text; unchanged changes nothing"

# --- conflict: t takes theirs ------------------------------------------------------------
keys e
wait_for "Edit user $id"
keys End C-u
typed "Mine T"
cli users set "$id" --name "Theirs T" >/dev/null
wait_for "Someone changed this record"
keys C-s
wait_for "Conflict: 1 field changed by both"
keys t
wait_for "Kept their version"
wait_eq '"Theirs T"' user_field "$id" name
ok "conflict: t keeps theirs"

# --- conflict: m where both changed different fields: both survive ----------------------
keys e
wait_for "Edit user $id"
keys End C-u
typed "Mine M1"
cli users set "$id" --custom '{"tier":"platinum","seats":9}' >/dev/null
wait_for "Someone changed this record"
keys C-s
wait_for "no field was changed by both"
keys m
wait_for "Saved user $id"
wait_eq '"Mine M1"' user_field "$id" name
wait_eq '{"seats": 9, "tier": "platinum"}' user_field "$id" custom
ok "conflict: m keeps my name and their custom"

# --- conflict: m where both changed the same field: the choice holds -----------------
keys e
wait_for "Edit user $id"
keys End C-u
typed "Mine M2"
keys Tab End C-u
typed "mine@example.com"
cli users set "$id" --name "Theirs M2" >/dev/null
wait_for "Someone changed this record"
keys C-s
wait_for "Conflict: 1 field changed by both"
wait_for "CONFLICT → mine"
keys Left                                 # theirs for the name
wait_for "CONFLICT → theirs"
keys m
wait_for "Saved user $id"
wait_eq '"Theirs M2"' user_field "$id" name
wait_eq '"mine@example.com"' user_field "$id" email
ok "conflict: a per-field choice holds and my other field is kept"

# --- remove with confirmation, then undo -------------------------------------------------
keys d
wait_for "Remove user $id?"
keys y
wait_for "Removed user $id"
wait_eq "gone" sh -c "'$bin' --origin '$origin' --subscribe-key demo users get '$id' >/dev/null 2>&1 && echo present || echo gone"
keys u
wait_for "Undid the removal"
wait_eq '"Theirs M2"' user_field "$id" name
ok "d removes after a confirmation; u brings it back"

# --- removed while its editor is open: re-create ---------------------------------------
keys e
wait_for "Edit user $id"
keys End C-u
typed "Recreated"
cli users remove "$id" >/dev/null
wait_for "Someone removed this record"
keys C-s
wait_for "was removed on the server"
keys c
wait_for "Saved user $id"
wait_eq '"Recreated"' user_field "$id" name
ok "a record removed meanwhile is re-created on request"

# --- memberships manager: two added and one removed in one call ------------------------
cli memberships set "$id" --channel general >/dev/null
wait_for "Memberships shown 1 of 1"
patches_before=$(log_count "PATCH /v2/objects/demo/uuids/$id/channels")
keys m
wait_for "Memberships of user $id"
keys Space                                # mark general for removal
keys a
wait_for "Space choose"
keys /
typed "ROADMAP"                           # plain text: ids, names, descriptions, any case
keys Enter
wait_for "product.roadmap"
screen | grep -q "\] random" && fail "the picker's plain search kept a channel that does not match"
ok "the picker searches plain text"
keys /
keys C-u
typed "=id == 'random' || id == 'product.roadmap'"   # = : the filter language
keys Enter
wait_for "2 of 2 channels loaded"
keys Space Space Enter
keys C-s
wait_for "Memberships updated"
patches_after=$(log_count "PATCH /v2/objects/demo/uuids/$id/channels")
[ $((patches_after - patches_before)) = 1 ] || fail "memberships manager made $((patches_after - patches_before)) calls"
channels=$(cli memberships list "$id" | python3 -c 'import sys,json; d=json.load(sys.stdin); d=d.get("data",d); print(",".join(sorted(m["channel"]["id"] for m in d)))')
[ "$channels" = "product.roadmap,random" ] || fail "memberships after the manager: $channels"
ok "memberships manager: one call adds two and removes one"

# --- live: rename, new membership, removal --------------------------------------------
cli users set "$id" --name "Renamed Elsewhere" >/dev/null
wait_for "Renamed Elsewhere"
cli memberships set "$id" --channel general >/dev/null
wait_for "Memberships shown 3 of 3"
ok "live: a rename and a new membership show without a key"

# --- live off, a change meanwhile, live on: caught up -----------------------------------
keys w
wait_for "○ off"
cli users set "$id" --name "Changed While Off" >/dev/null
sleep 0.5
screen | grep -qF "Changed While Off" && fail "a change showed while live was off"
keys w
wait_for "Changed While Off"
ok "live on again catches up on what changed while off"

# --- an outage: live comes back within 5 s of the server answering ---------------------
stop_server
wait_for "reconnecting" 200
sleep 16                                  # long enough for a growing backoff to show
restart_server
started=$(date +%s%N)
wait_for "● live" 50
echo "e2e: live again $(( ($(date +%s%N) - started) / 1000000 )) ms after the server restarted"
cli users set "$id" --name "After The Outage" >/dev/null
wait_for "After The Outage"
ok "live resumes within 5 s after an outage"

# --- a server that stops answering without closing the connection (SIGSTOP): the
# health check drops the stuck long-poll, and live comes back once it answers --------
kill -STOP "$server_pid"
wait_for "reconnecting" 250                 # ≤ 10 s between checks + 3 s probe timeout
kill -CONT "$server_pid"
wait_for "● live" 50
ok "a stuck long-poll to a frozen server does not hold the reconnect"

cli users remove "$id" >/dev/null
wait_for "removed on the server"
ok "live: a removal marks the row"

# --- SIGTERM restores the terminal --------------------------------------------------------
pid=$(tui_pid)
[ -n "$pid" ] || fail "no appctx process"
kill -TERM "$pid"
wait_for "EXITED:"
terminal_restored
ok "SIGTERM restores the terminal"

# --- 80x24: the editor and $EDITOR round trip on a small terminal ----------------------
cli users set "$id" --name "Small Screen" >/dev/null
echo valid >"$mode_file"
E2E_COLS=80 E2E_ROWS=24 start_tui "EDITOR='$tmp/editor.sh --wait'" "EDITOR_MODE='$mode_file'"
select_user "$id"
keys e
wait_for "Edit user $id"
keys C-e
wait_for "From The Editor"
keys C-s
wait_for "Saved user $id"
wait_eq '"From The Editor"' user_field "$id" name
pid=$(tui_pid)
kill -TERM "$pid"
wait_for "EXITED:"
terminal_restored
ok "80x24: e, Ctrl-e and save work on a small terminal"

# --- --read-only refuses every write key; nothing is sent -------------------------------
writes_before=$(log_count "^(PATCH|DELETE|POST) ")
start_tui --read-only
wait_for "READ-ONLY"
for k in e n d u m; do
  keys "$k"
  wait_for "Read-only session"
  keys Escape
done
writes_after=$(log_count "^(PATCH|DELETE|POST) ")
[ "$writes_before" = "$writes_after" ] || fail "read-only sent $((writes_after - writes_before)) writes"
ok "--read-only refuses e, n, d, u, m and sends nothing"

# --- SIGHUP (the window closed) restores the terminal too --------------------------------
pid=$(tui_pid)
kill -HUP "$pid"
wait_for "EXITED:"
terminal_restored
ok "SIGHUP restores the terminal"

e2e_done
