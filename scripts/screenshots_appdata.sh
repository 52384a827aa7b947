#!/usr/bin/env bash
# The application data screens from the real binary in tmux against a real sandbox: the
# picker of workloads and volumes, and a copy out of the Jenkins pod under way.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import pyte, PIL' 2>/dev/null || pip install --quiet pyte pillow
cargo build --quiet --workspace
bin=$PWD/target/debug/lifeboat
sandbox=$PWD/target/debug/lifeboat-sandbox
work=$(mktemp -d)
sock=lifeboat-appdata-shots
W=140 H=38
cleanup() { tmux -L $sock kill-server 2>/dev/null || true; "$sandbox" down --dir "$work/sb" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

export XDG_STATE_HOME=$work/state XDG_DATA_HOME=$work/data XDG_CONFIG_HOME=$work/config
"$sandbox" up --members 1 --dir "$work/sb" >/dev/null
eval "$("$sandbox" env --dir "$work/sb")"
pod=$(kubectl get po -n ci -l deploymentconfig=jenkins -o name | cut -d/ -f2)
# Big enough that the copy is still running when the screen is captured.
kubectl exec -n ci "$pod" -- sh -c 'head -c 1073741824 /dev/urandom > /var/lib/jenkins/workspace.tar'

shot() { # name, seconds to wait first
  sleep "$2"
  tmux -L $sock capture-pane -e -p -t appdata | python3 scripts/ansi_to_png.py $W $H "screenshots/$1.png"
  echo "screenshots/$1.png"
}
tmux -L $sock new-session -d -s appdata -x $W -y $H \
  "env ETCDCTL_ENDPOINTS=$ETCDCTL_ENDPOINTS ETCDCTL_CACERT=$ETCDCTL_CACERT ETCDCTL_CERT=$ETCDCTL_CERT ETCDCTL_KEY=$ETCDCTL_KEY KUBECONFIG=$KUBECONFIG XDG_STATE_HOME=$XDG_STATE_HOME XDG_DATA_HOME=$XDG_DATA_HOME $bin"
sleep 3
tmux -L $sock send-keys -t appdata a
shot appdata-pick 2
tmux -L $sock send-keys -t appdata b; sleep 2
for _ in 1 2; do tmux -L $sock send-keys -t appdata y; sleep 1; done
tmux -L $sock send-keys -t appdata y
shot appdata-copy 4
