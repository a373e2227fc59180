#!/usr/bin/env bash
# End-to-end: a keyset with Access Manager and "Disallow Get All" on, the TUI used
# with a limited token (the real binary in tmux against `appctx serve`): the status
# bar shows the token, the users list explains why it cannot be listed and how to go
# on, a user the token may not read says which permission is missing, a write key the
# token cannot perform is refused before anything is sent, and :token shows it all.
E2E_KEYSET=pam-e2e
source "$(dirname "$0")/lib.sh"
export PUBNUB_SECRET_KEY=sec-e2e PUBNUB_PUBLISH_KEY=pub-e2e
start_server --disallow-get-all
admin() { cli "$@"; }   # signed with the secret key from the environment
admin users set e2e-tester --name "The Tester" >/dev/null
admin users set bob --name "Bob" >/dev/null
admin users set carol --name "Carol" >/dev/null
token=$(admin token grant --ttl 60 --uuid e2e-tester:get,update --uuid bob:get --channel-pattern '.*:read' --authorized-uuid e2e-tester)
[ -n "$token" ] || fail "no token granted"
unset PUBNUB_SECRET_KEY

E2E_READY="token" start_tui "PUBNUB_AUTH_KEY=$token"
wait_for "token 59m left"
ok "the status bar shows the token and its time left"
wait_for "Disallow Get All User Metadata"
wait_for ":user ID"
ok "a hidden full list is explained, with the way on"

keys :
typed "user carol"
keys Enter
wait_for "this token has no \`get\` on uuid \`carol\`"
ok "a 403 names the permission the token lacks"

keys :
typed "user bob"
keys Enter
wait_for "Bob"
writes_before=$(log_count "PATCH")
keys e
wait_for "Access Manager would refuse it: this token has no \`update\`"
screen | grep -qF "on uuid \`bob\`" || fail "the refusal does not name bob"
sleep 0.5
screen | grep -q "Ctrl-s" && fail "the editor opened on a record the token may not update"
[ "$(log_count "PATCH")" = "$writes_before" ] || fail "a refused write was sent"
ok "a write the token cannot do is refused before sending"
keys x

keys :
typed "user e2e-tester"
keys Enter
wait_for "The Tester"
keys e
wait_for "Ctrl-s"
keys Escape
ok "a write the token allows opens the editor"

keys :
typed "token"
keys Enter
wait_for "uuid e2e-tester: get, update"
wait_for "only for uuid e2e-tester"
ok ":token shows what the token allows"
keys Escape
wait_gone "Access Manager token"
keys q
wait_for "EXITED:0"
terminal_restored
e2e_done
