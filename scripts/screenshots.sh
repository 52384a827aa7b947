#!/usr/bin/env bash
# Regenerates screenshots/ from the real binary in a real terminal (tmux) against a real
# sandbox: the dashboard healthy and degraded, a wizard waiting for confirmation, the help.
sock=lifeboat-shots session=shots sandboxes=(sb solo)
source "$(dirname "$0")/screenshots_lib.sh"

"$sandbox" up --members 3 --dir "$work/sb" >/dev/null
eval "$("$sandbox" env --dir "$work/sb")"
ETCDCTL_API=3 etcdctl put /registry/demo/hello world >/dev/null
big=$(head -c 60000 /dev/zero | tr '\0' x)
for i in $(seq 1 60); do ETCDCTL_API=3 etcdctl put "/registry/configmaps/demo/big-$i" "$big" >/dev/null; done

# Project export and restore (`scripts/screenshots.sh project` makes only these): the
# pickers, the export done, the restore picker and the results table after the project was
# deleted.
project_shots() {
  tmux -L $sock new-session -d -s project -x $W -y $H \
    "env KUBECONFIG=$KUBECONFIG ETCDCTL_ENDPOINTS=$ETCDCTL_ENDPOINTS ETCDCTL_CACERT=$ETCDCTL_CACERT ETCDCTL_CERT=$ETCDCTL_CERT ETCDCTL_KEY=$ETCDCTL_KEY XDG_STATE_HOME=$XDG_STATE_HOME XDG_DATA_HOME=$XDG_DATA_HOME $bin"
  sleep 2
  tmux -L $sock send-keys -t project : ; tmux -L $sock send-keys -t project -l export
  tmux -L $sock send-keys -t project Enter; sleep 2
  tmux -L $sock send-keys -t project Space; sleep 0.2
  tmux -L $sock send-keys -t project s h; sleep 0.3
  tmux -L $sock send-keys -t project Space
  shot project-picker 1 project
  tmux -L $sock send-keys -t project Enter
  shot project-kinds 1 project
  tmux -L $sock send-keys -t project Enter; sleep 2
  for _ in 1 2; do tmux -L $sock send-keys -t project y; sleep 1.5; done
  tmux -L $sock send-keys -t project l
  shot project-export-done 1 project
  kubectl delete namespace shop >/dev/null
  tmux -L $sock send-keys -t project Escape; sleep 0.5
  tmux -L $sock send-keys -t project : ; tmux -L $sock send-keys -t project -l import
  tmux -L $sock send-keys -t project Enter
  shot project-restore-picker 1.5 project
  tmux -L $sock send-keys -t project Enter; sleep 2
  for _ in 1 2 3 4; do tmux -L $sock send-keys -t project y; sleep 1.5; done
  tmux -L $sock send-keys -t project l
  shot project-restore-results 1 project
  tmux -L $sock send-keys -t project q
}
if [[ "${1:-}" == project ]]; then project_shots; exit 0; fi

keys() { local session=$1; shift; for k in "$@"; do tmux -L $sock send-keys -t "$session" "$k"; sleep 0.15; done; }
typed() { tmux -L $sock send-keys -t "$1" -l "$2"; sleep 0.2; }
env_line="env ETCDCTL_ENDPOINTS=$ETCDCTL_ENDPOINTS ETCDCTL_CACERT=$ETCDCTL_CACERT ETCDCTL_CERT=$ETCDCTL_CERT ETCDCTL_KEY=$ETCDCTL_KEY LIFEBOAT_PROCESS_CLUSTER=$LIFEBOAT_PROCESS_CLUSTER XDG_STATE_HOME=$XDG_STATE_HOME XDG_DATA_HOME=$XDG_DATA_HOME"
tmux -L $sock new-session -d -s shots -x $W -y $H "$env_line $bin"
shot dashboard 3
keys shots '?'; shot help 1
keys shots Escape
# Health check: the plan first, then each step asked.
keys shots Enter; shot plan-preview 2
keys shots Enter y y; shot wizard-confirm 1.5
keys shots y y; shot wizard-done 3
keys shots Escape
# Cluster backup from the palette: the form, then the plan, then the summary.
keys shots : ; typed shots back; shot palette 0.5
keys shots Enter; shot backup-form 1
keys shots Enter Enter Enter Enter Enter; sleep 2
keys shots Enter n; sleep 1; shot backup-wizard 0.5
sleep 3; shot backup-done 2
keys shots Escape

# Member recovery: etcd-3's host is lost with its disk. From the member table: its details,
# replace (the form pre-selects it), a typo caught as typed, the plan, the run, the summary.
"$sandbox" kill --member etcd-3 --wipe --dir "$work/sb" >/dev/null
keys shots r; shot dashboard-degraded 5
keys shots Tab Down Down Enter; shot member-detail 1
keys shots r; sleep 1
read -r cport pport < <(python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1",0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
keys shots Tab Tab; typed shots 10.0.0.300; shot replace-form-error 0.5
keys shots BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace; typed shots 127.0.0.1
keys shots Tab BSpace BSpace BSpace BSpace BSpace BSpace; typed shots "$cport"
keys shots Tab BSpace BSpace BSpace BSpace BSpace BSpace; typed shots "$pport"
keys shots Tab Right; shot replace-form 0.5
keys shots Enter Enter Enter Enter; shot replace-preview 3
keys shots Enter n; shot member-replace-confirm 3
keys shots y n; shot member-replace-done 5
# The new host's side: the join form finds the bundle.
keys shots Escape : ; typed shots join; keys shots Enter; shot join-form 1.5
keys shots Enter Enter Enter Enter; sleep 2; keys shots Enter n; sleep 8
for _ in 1 2 3; do keys shots y n; sleep 3; done
shot member-join-done 1
keys shots Escape

"$sandbox" kill --member etcd-4 --dir "$work/sb" >/dev/null
"$sandbox" kill --member etcd-2 --dir "$work/sb" >/dev/null
keys shots r; shot dashboard-quorum-lost 8
keys shots q

# Cluster restore on a single-member sandbox: two bundles, the older one picked from the list.
"$sandbox" up --members 1 --dir "$work/solo" >/dev/null
solo_env=$("$sandbox" env --dir "$work/solo" | sed -n 's/^export //p' | tr '\n' ' ')
env $solo_env ETCDCTL_API=3 etcdctl put /registry/demo/restored yes >/dev/null
env $solo_env XDG_DATA_HOME=$XDG_DATA_HOME "$bin" backup cluster --out "$XDG_DATA_HOME/lifeboat/backups/cluster-1-monday" --yes >/dev/null
env $solo_env ETCDCTL_API=3 etcdctl put /registry/demo/after-backup lost >/dev/null
env $solo_env XDG_DATA_HOME=$XDG_DATA_HOME "$bin" backup cluster --out "$XDG_DATA_HOME/lifeboat/backups/cluster-2-tuesday" --yes >/dev/null
tmux -L $sock new-session -d -s restore -x $W -y $H \
  "env $solo_env XDG_STATE_HOME=$XDG_STATE_HOME XDG_DATA_HOME=$XDG_DATA_HOME $bin; sleep 600"
sleep 3
keys restore : ; typed restore restore; keys restore Enter; sleep 1.5
keys restore Right; shot restore-form 0.5 restore
keys restore Enter Enter Enter Enter Enter Enter; sleep 3
keys restore Enter n; shot restore-confirm 3 restore
keys restore y n; sleep 3
for _ in 1 2 3; do keys restore y n; sleep 3; done
shot restore-done 2 restore
keys restore q
"$sandbox" down --dir "$work/solo" >/dev/null

project_shots
scripts/screenshots_appdata.sh
scripts/screenshots_incidents.sh
scripts/screenshots_snapshot.sh
