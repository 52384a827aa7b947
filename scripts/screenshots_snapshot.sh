#!/usr/bin/env bash
# "Browse a cluster backup" from the real binary in tmux against a real sandbox: a project
# deleted after the backup, found among the backup's projects, read out of the snapshot and
# restored.
sock=lifeboat-snapshot-shots session=t sandboxes=(sb)
source "$(dirname "$0")/screenshots_lib.sh"
export LIFEBOAT_BACKUPS_DIR=$work/backups

keys() { for k in "$@"; do tmux -L $sock send-keys -t t "$k"; sleep 0.15; done; }
wait_for() { # text, seconds
  for _ in $(seq 1 $(( $2 * 4 ))); do
    tmux -L $sock capture-pane -p -t t | grep -qF -- "$1" && return 0
    sleep 0.25
  done
  echo "waited $2s for: $1" >&2; return 1
}

"$sandbox" up --members 1 --dir "$work/sb" >/dev/null
eval "$("$sandbox" env --dir "$work/sb")"
"$bin" backup cluster --out "$LIFEBOAT_BACKUPS_DIR/cluster-1" --yes >/dev/null
kubectl delete namespace shop >/dev/null
tmux -L $sock new-session -d -s t -x $W -y $H \
  "env ETCDCTL_ENDPOINTS=$ETCDCTL_ENDPOINTS ETCDCTL_CACERT=$ETCDCTL_CACERT ETCDCTL_CERT=$ETCDCTL_CERT ETCDCTL_KEY=$ETCDCTL_KEY KUBECONFIG=$KUBECONFIG LIFEBOAT_BACKUPS_DIR=$LIFEBOAT_BACKUPS_DIR XDG_STATE_HOME=$XDG_STATE_HOME XDG_DATA_HOME=$XDG_DATA_HOME $bin; sleep 600"
wait_for "Browse a cluster backup" 30
keys : ; tmux -L $sock send-keys -t t -l browse; keys Enter
wait_for cluster-1 10; shot snapshot-backups 0.5
keys Enter; wait_for "gone from the live cluster" 60; shot snapshot-projects 0.5
