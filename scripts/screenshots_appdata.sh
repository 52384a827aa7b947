#!/usr/bin/env bash
# The application data screens from the real binary in tmux against a real sandbox: the
# picker of workloads and volumes, and a copy out of the Jenkins pod under way.
sock=lifeboat-appdata-shots session=appdata sandboxes=(sb)
source "$(dirname "$0")/screenshots_lib.sh"

"$sandbox" up --members 1 --dir "$work/sb" >/dev/null
eval "$("$sandbox" env --dir "$work/sb")"
pod=$(kubectl get po -n ci -l deploymentconfig=jenkins -o name | cut -d/ -f2)
# Big enough that the copy is still running when the screen is captured.
kubectl exec -n ci "$pod" -- sh -c 'head -c 1073741824 /dev/urandom > /var/lib/jenkins/workspace.tar'

tmux -L $sock new-session -d -s appdata -x $W -y $H \
  "env ETCDCTL_ENDPOINTS=$ETCDCTL_ENDPOINTS ETCDCTL_CACERT=$ETCDCTL_CACERT ETCDCTL_CERT=$ETCDCTL_CERT ETCDCTL_KEY=$ETCDCTL_KEY KUBECONFIG=$KUBECONFIG XDG_STATE_HOME=$XDG_STATE_HOME XDG_DATA_HOME=$XDG_DATA_HOME $bin"
sleep 3
tmux -L $sock send-keys -t appdata a
shot appdata-pick 2
tmux -L $sock send-keys -t appdata b; sleep 2
for _ in 1 2; do tmux -L $sock send-keys -t appdata y; sleep 1; done
tmux -L $sock send-keys -t appdata y
shot appdata-copy 4
