#!/usr/bin/env bash
# Regenerates screenshots/ from the real binary in a real terminal (tmux) against a real
# sandbox: the dashboard healthy and degraded, a wizard waiting for confirmation, the help.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import pyte, PIL' 2>/dev/null || pip install --quiet pyte pillow
cargo build --quiet --workspace
bin=$PWD/target/debug/lifeboat
sandbox=$PWD/target/debug/lifeboat-sandbox
work=$(mktemp -d)
sock=lifeboat-shots
W=140 H=38
cleanup() { tmux -L $sock kill-server 2>/dev/null || true; for sb in sb solo; do "$sandbox" down --dir "$work/$sb" >/dev/null 2>&1 || true; done; rm -rf "$work"; }
trap cleanup EXIT

export XDG_STATE_HOME=$work/state XDG_DATA_HOME=$work/data XDG_CONFIG_HOME=$work/config
"$sandbox" up --members 3 --dir "$work/sb" >/dev/null
eval "$("$sandbox" env --dir "$work/sb")"
ETCDCTL_API=3 etcdctl put /registry/demo/hello world >/dev/null
big=$(head -c 60000 /dev/zero | tr '\0' x)
for i in $(seq 1 60); do ETCDCTL_API=3 etcdctl put "/registry/configmaps/demo/big-$i" "$big" >/dev/null; done

shot() { # name, seconds to wait first, tmux session (default: the dashboard's)
  sleep "$2"
  tmux -L $sock capture-pane -e -p -t "${3:-shots}" | python3 scripts/ansi_to_png.py $W $H "screenshots/$1.png"
  echo "screenshots/$1.png"
}
# Project export and restore (`scripts/screenshots.sh project` makes only these): the
# pickers, the export done, the restore picker and the results table after the project was
# deleted.
project_shots() {
  tmux -L $sock new-session -d -s project -x $W -y $H \
    "env KUBECONFIG=$KUBECONFIG ETCDCTL_ENDPOINTS=$ETCDCTL_ENDPOINTS ETCDCTL_CACERT=$ETCDCTL_CACERT ETCDCTL_CERT=$ETCDCTL_CERT ETCDCTL_KEY=$ETCDCTL_KEY XDG_STATE_HOME=$XDG_STATE_HOME XDG_DATA_HOME=$XDG_DATA_HOME $bin"
  sleep 2
  for _ in 1 2 3; do tmux -L $sock send-keys -t project Down; sleep 0.2; done
  tmux -L $sock send-keys -t project Enter; sleep 2
  tmux -L $sock send-keys -t project Space; sleep 0.2
  tmux -L $sock send-keys -t project s h; sleep 0.3
  tmux -L $sock send-keys -t project Space
  shot project-picker 1 project
  tmux -L $sock send-keys -t project Enter
  shot project-kinds 1 project
  tmux -L $sock send-keys -t project Enter; sleep 2
  for _ in 1 2; do tmux -L $sock send-keys -t project y; sleep 1.5; done
  shot project-export-done 1 project
  kubectl delete namespace shop >/dev/null
  tmux -L $sock send-keys -t project Escape; sleep 0.5
  tmux -L $sock send-keys -t project Down; sleep 0.3
  tmux -L $sock send-keys -t project Enter
  shot project-restore-picker 1.5 project
  tmux -L $sock send-keys -t project Enter; sleep 2
  for _ in 1 2 3 4; do tmux -L $sock send-keys -t project y; sleep 1.5; done
  shot project-restore-results 1 project
  tmux -L $sock send-keys -t project q
}
if [[ "${1:-}" == project ]]; then project_shots; exit 0; fi

tmux -L $sock new-session -d -s shots -x $W -y $H \
  "env ETCDCTL_ENDPOINTS=$ETCDCTL_ENDPOINTS ETCDCTL_CACERT=$ETCDCTL_CACERT ETCDCTL_CERT=$ETCDCTL_CERT ETCDCTL_KEY=$ETCDCTL_KEY XDG_STATE_HOME=$XDG_STATE_HOME $bin"
shot dashboard 3
tmux -L $sock send-keys -t shots '?'; shot help 1
tmux -L $sock send-keys -t shots Escape; sleep 0.5
tmux -L $sock send-keys -t shots Enter; sleep 1
tmux -L $sock send-keys -t shots y; sleep 1.5
tmux -L $sock send-keys -t shots y; shot wizard-confirm 1.5
tmux -L $sock send-keys -t shots y; sleep 1.5
tmux -L $sock send-keys -t shots y; shot wizard-done 3
tmux -L $sock send-keys -t shots Escape; sleep 0.5
tmux -L $sock send-keys -t shots j; sleep 0.3
tmux -L $sock send-keys -t shots Enter; sleep 2
for _ in 1 2 3 4; do tmux -L $sock send-keys -t shots y; sleep 1; done
shot backup-wizard 2
for _ in 1 2 3; do tmux -L $sock send-keys -t shots y; sleep 1; done
shot backup-done 1
tmux -L $sock send-keys -t shots Escape; sleep 0.5
tmux -L $sock send-keys -t shots k; sleep 0.3
"$sandbox" kill --member etcd-3 --dir "$work/sb" >/dev/null
tmux -L $sock send-keys -t shots r; shot dashboard-degraded 5

# Member recovery: etcd-3's host is lost; replace it from the survivors, then join the new
# member (learner threshold 0, so the learner path and its promotion are shown).
"$sandbox" kill --member etcd-3 --wipe --dir "$work/sb" >/dev/null
read -r cport pport < <(python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1",0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
env_line="env ETCDCTL_ENDPOINTS=$ETCDCTL_ENDPOINTS ETCDCTL_CACERT=$ETCDCTL_CACERT ETCDCTL_CERT=$ETCDCTL_CERT ETCDCTL_KEY=$ETCDCTL_KEY XDG_STATE_HOME=$XDG_STATE_HOME"
tmux -L $sock new-session -d -s replace -x $W -y $H \
  "$env_line $bin member replace --failed etcd-3 --new-name etcd-new --new-host 127.0.0.1 --client-port $cport --peer-port $pport --out $work/join --learner-threshold 0; sleep 600"
sleep 2
for _ in 1 2 3 4 5; do tmux -L $sock send-keys -t replace y; sleep 1; done
shot member-replace-confirm 1 replace
for _ in 1 2 3 4 5; do tmux -L $sock send-keys -t replace y; sleep 1.5; done
tmux -L $sock send-keys -t replace k; shot member-replace-done 1 replace
tmux -L $sock send-keys -t replace q; sleep 0.5
tmux -L $sock new-session -d -s join -x $W -y $H \
  "env XDG_STATE_HOME=$XDG_STATE_HOME $bin member join --bundle $work/join/etcd-new.tgz --process-cluster $work/sb/process-cluster.json; sleep 600"
sleep 2
for _ in 1 2 3 4 5 6; do tmux -L $sock send-keys -t join y; sleep 1; done
sleep 2; tmux -L $sock send-keys -t join k; sleep 0.3; tmux -L $sock send-keys -t join k
shot member-join-done 1 join
tmux -L $sock send-keys -t join q

"$sandbox" kill --member etcd-new --dir "$work/sb" >/dev/null
"$sandbox" kill --member etcd-2 --dir "$work/sb" >/dev/null
tmux -L $sock send-keys -t shots r; shot dashboard-quorum-lost 8

# Cluster restore on a single-member sandbox: the wizard stops at the destructive step with
# the way back shown, then finishes with the comparison against the bundle.
"$sandbox" up --members 1 --dir "$work/solo" >/dev/null
solo_env=$("$sandbox" env --dir "$work/solo" | sed -n 's/^export //p' | tr '\n' ' ')
env $solo_env ETCDCTL_API=3 etcdctl put /registry/demo/restored yes >/dev/null
env $solo_env "$bin" backup cluster --out "$work/solo-bundle" --yes >/dev/null
env $solo_env ETCDCTL_API=3 etcdctl put /registry/demo/after-backup lost >/dev/null
tmux -L $sock new-session -d -s restore -x $W -y $H \
  "env $solo_env XDG_STATE_HOME=$XDG_STATE_HOME XDG_DATA_HOME=$XDG_DATA_HOME $bin restore cluster --from $work/solo-bundle; sleep 600"
sleep 2
for _ in 1 2 3 4 5; do tmux -L $sock send-keys -t restore y; sleep 1.2; done
shot restore-confirm 1 restore
for _ in 1 2 3 4; do tmux -L $sock send-keys -t restore y; sleep 1.5; done
shot restore-done 2 restore
tmux -L $sock send-keys -t restore q
"$sandbox" down --dir "$work/solo" >/dev/null

project_shots
scripts/screenshots_appdata.sh
