#!/usr/bin/env bash
# The etcd incidents before a restore, from the real binary in tmux against real sandboxes:
# the NOSPACE alarm and its space recovery, a member whose data differs (named by the
# consistency line), and a quorum restore from the best survivor.
sock=lifeboat-incident-shots session=t sandboxes=(space differ quorum)
source "$(dirname "$0")/screenshots_lib.sh"

keys() { for k in "$@"; do tmux -L $sock send-keys -t t "$k"; sleep 0.15; done; }
typed() { tmux -L $sock send-keys -t t -l "$1"; sleep 0.2; }
# lifeboat in a fresh tmux session against the sandbox in $work/$1.
open_on() {
  tmux -L $sock kill-server 2>/dev/null || true
  local env_line
  env_line=$("$sandbox" env --dir "$work/$1" | sed -n 's/^export //p' | tr '\n' ' ')
  tmux -L $sock new-session -d -s t -x $W -y $H \
    "env $env_line XDG_STATE_HOME=$XDG_STATE_HOME XDG_DATA_HOME=$XDG_DATA_HOME $bin; sleep 600"
}
# Answers the wizard as an engineer would until its summary: `n` runs to the next destructive
# step, which runs only on its own `y`.
run_to_summary() {
  for _ in $(seq 1 200); do
    local screen
    screen=$(tmux -L $sock capture-pane -p -t t)
    if grep -q ' Summary ' <<<"$screen"; then return 0; fi
    if grep -q '(destructive)?' <<<"$screen"; then keys y
    elif grep -q '?   y run' <<<"$screen"; then keys n; fi
    sleep 0.5
  done
  echo "the plan did not reach its summary" >&2; return 1
}
sandbox_etcdctl() { (eval "$("$sandbox" env --dir "$work/$1")"; shift; ETCDCTL_API=3 etcdctl "$@"); }

# Space recovery: a 4 MiB quota written full, the alarm on the dashboard, the plan, the end.
"$sandbox" up --members 3 --quota-backend-bytes 4194304 --dir "$work/space" >/dev/null
value=$(head -c 102400 /dev/zero | tr '\0' x)
for i in $(seq 1 400); do
  sandbox_etcdctl space put "/registry/configmaps/fill/$((i % 4))" "$value" >/dev/null 2>&1 || break
done
open_on space
shot nospace-dashboard 4
keys : ; typed nospace; keys Enter; shot nospace-preview 3
keys Enter; run_to_summary; shot nospace-done 1

# A member whose data differs: one value's bytes flipped in etcd-2's stopped database file.
"$sandbox" up --members 3 --dir "$work/differ" >/dev/null
sandbox_etcdctl differ put /registry/configmaps/shop/prices price-list-AAAAAAAAAAAAAAAA >/dev/null
"$sandbox" stop --member etcd-2 --dir "$work/differ" >/dev/null
db=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print([m["data_dir"] for m in c["members"] if m["name"]=="etcd-2"][0])' "$work/differ/process-cluster.json")/member/snap/db
python3 -c 'import sys; p=sys.argv[1]; b=open(p,"rb").read(); open(p,"wb").write(b.replace(b"price-list-AAAAAAAAAAAAAAAA", b"price-list-BBBBBBBBBBBBBBBB"))' "$db"
"$sandbox" start --member etcd-2 --dir "$work/differ" >/dev/null
sleep 3
open_on differ
shot consistency-dashboard 5
keys Tab Down Enter; shot consistency-member 1

# Quorum lost, one good survivor: the dashboard's advice, the survivor chosen, the end.
"$sandbox" up --members 3 --dir "$work/quorum" >/dev/null
sandbox_etcdctl quorum put /registry/configmaps/shop/prices "today's prices" >/dev/null
for m in etcd-2 etcd-3; do "$sandbox" kill --member $m --wipe --dir "$work/quorum" >/dev/null; done
open_on quorum
shot quorum-lost-dashboard 5
keys : ; typed quorum; keys Enter; shot quorum-form 1.5
keys Enter; shot quorum-preview 3
keys Enter; run_to_summary; shot quorum-done 1
