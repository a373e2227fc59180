#!/usr/bin/env bash
# End-to-end: finding records on a keyset bigger than what the TUI loads (5,000
# users), with the real binary in tmux against `appctx serve`: G to the true end, /
# reaching the server, :user opening an unloaded user, v showing all of a record at
# 80x24, :export, "N new" in live mode, :columns and the command history kept across
# runs. Each check is read off the screen or the server.
E2E_KEYSET=find-e2e
source "$(dirname "$0")/lib.sh"
start_server

# 5,000 users u-00000 … u-04999; one of them is Zoë Quartz, far beyond the first page.
python3 - "$tmp/users.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    f.write(json.dumps({"kind": "header", "format": "appctx-export", "version": 1}) + "\n")
    for i in range(5000):
        name = "Zoë Quartz" if i == 3210 else f"Person {i:05d}"
        f.write(json.dumps({"kind": "user", "id": f"u-{i:05d}", "name": name,
                            "custom": {"tier": "gold" if i % 7 == 0 else "free"}}) + "\n")
PY
cli import "$tmp/users.jsonl" >/dev/null
wait_eq "5000" sh -c "'$bin' --origin '$origin' --subscribe-key $keyset users list --limit 1 --count --format json | python3 -c 'import sys,json; print(json.load(sys.stdin)[\"totalCount\"])'"

cli users set u-00001 --status deleted >/dev/null   # soft-deleted the Chat SDK way
start_tui
wait_for "shown 100 of 5000"
wait_for "u-00001"
keys H
wait_gone "u-00001"
keys H
wait_for "u-00001"
ok "H hides and shows soft-deleted users"
keys G
wait_for "rows 4901–5000 of 5000"
wait_for "u-04999"
ok "G goes to the true end in one request"
keys k k k
keys g
wait_for "shown 100 of 5000"
ok "g comes back to the first rows"

keys /
typed "quartz"
wait_for "on the server"
wait_for "Zoë Quartz"
screen | grep -q "User u-03210" || fail "the detail does not follow the found row"
ok "/ finds a user that is not loaded"
keys Escape Escape

keys :
typed "user u-04321"
keys Enter
wait_for "User u-04321"
ok ":user opens a user that is not loaded"
keys Escape

keys :
typed "columns id,name,custom.tier"
keys Enter
wait_for "custom.tier"
screen | grep -q "gold" || fail "the custom column shows no values"
ok ":columns shows a custom key as a column"

keys :
typed "export $tmp/out.jsonl"
keys Enter
wait_for "Exported 5000 records"
[ "$(grep -c . "$tmp/out.jsonl")" = 5000 ] || fail "the export holds $(grep -c . "$tmp/out.jsonl") lines"
ok ":export writes the whole list, not the loaded rows"
keys :
typed "export $tmp/out.csv"
keys Enter
wait_for "Exported 5000 records to $tmp/out.csv"
[ "$(grep -c . "$tmp/out.csv")" = 5001 ] || fail "the CSV holds $(grep -c . "$tmp/out.csv") lines"
head -1 "$tmp/out.csv" | grep -q "custom" || fail "the CSV header lacks custom: $(head -1 "$tmp/out.csv")"
ok ":export FILE.csv writes a header and every row"

# Someone else creates a user: the list says so while live.
cli users set u-99999 --name "New Person" >/dev/null
wait_for "1 new — r to load" 120
wait_for "of 5001"
keys r
wait_gone "1 new"
ok "a user created elsewhere shows as new"

keys q
wait_for "EXITED:0"
terminal_restored

# Again at 80x24: columns and history kept; v shows every part of the record.
cli users set u-00000 --custom '{"tier":"gold","bio":"'"$(printf 'x%.0s' $(seq 1 300))"'","team":"blue"}' >/dev/null
E2E_COLS=80 E2E_ROWS=24 start_tui
wait_for "custom.tier"
ok "the columns are kept across runs"
keys :
keys Up
wait_for "export $tmp/out.csv"
ok "the command history is kept across runs"
keys Escape
wait_for "shows it whole"
keys v
wait_for '"eTag"'
keys G
wait_for '"updated"'
screen | grep -q '"team": "blue"' || fail "the custom map is not reachable"
[ "$(screen | grep -o x | wc -l)" -ge 200 ] || { keys k k k; }
ok "v shows the whole record at 80x24"
keys Escape
wait_for "shows it whole"
screen | grep -q '"eTag"' && fail "the describe view did not close"
keys Enter
keys Enter
wait_for '"eTag"'
ok "Enter on a detail without memberships shows the record whole"
keys Escape
keys q
wait_for "EXITED:0"
terminal_restored
e2e_done
