#!/usr/bin/env bash
# Installs what lifeboat and its tests need on a Debian machine, only what is missing:
#   protoc and its well-known types (etcd-client's build), etcd and etcdctl (the sandbox),
#   busybox-static (the docker test image and the emulated pods), docker.io (docker exec
#   tests), tmux (the end-to-end TUI test) and kubectl (the emulated API server tests);
#   for `make release`: binutils (scripts/check-portable reads the binary), man-db (the man
#   page test), and zig with cargo-zigbuild from PyPI (the glibc 2.17 link); the Kubernetes
#   storage schemas that build.rs embeds (golang-github-openshift-api-dev).
# Without root it prints the exact apt command instead of failing halfway.
set -euo pipefail

want=()
need() { command -v "$1" >/dev/null 2>&1 || want+=("$2"); }
need protoc protobuf-compiler
need etcd etcd-server
need etcdctl etcd-client
need busybox busybox-static
need docker docker.io
need tmux tmux
# protoc alone lacks the well-known types (google/protobuf/descriptor.proto) that etcd's
# protos import; Debian ships them in libprotobuf-dev, only recommended by protobuf-compiler.
[ -e /usr/include/google/protobuf/descriptor.proto ] || want+=(libprotobuf-dev)
# The Kubernetes and OpenShift 3 storage schemas (.proto and Go types) build.rs embeds, so
# that `lifeboat snapshot` reads objects out of an etcd snapshot on masters without them.
[ -e /usr/share/gocode/src/github.com/openshift/api/vendor/k8s.io/api/core/v1/generated.proto ] \
  || want+=(golang-github-openshift-api-dev)
# kubectl drives the emulated API server tests; these machines ship 1.32 (WebSocket exec).
need kubectl kubernetes-client
[ -e /usr/bin/busybox ] || [ -e /bin/busybox ] || want+=(busybox-static)
need objdump binutils
need readelf binutils
need man man-db
need python3 python3
# A venv for zig when pip may not install for the user (Debian's externally managed python).
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || want+=(python3-venv)

if [ ${#want[@]} -gt 0 ]; then
  # A package may be listed twice (busybox); apt does not mind, but the message should not.
  mapfile -t want < <(printf '%s\n' "${want[@]}" | sort -u)
  cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${want[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo sh -c "$cmd"
    else
      echo "lifeboat needs: ${want[*]}" >&2
      echo "Installing needs root. Run:" >&2
      echo "  sudo sh -c '$cmd'" >&2
      exit 1
    fi
  else
    echo "Installing ${want[*]} ..." >&2
    sh -c "$cmd" >/dev/null
  fi
fi

# zig (which links against glibc 2.17's symbols) and cargo-zigbuild come from PyPI, the only
# place this machine can get them: installed for the user, or into a venv of lifeboat's own
# when pip refuses to (scripts/release.sh looks in both). Pinned to versions known to work.
zig_packages=(ziglang==0.17.1 cargo-zigbuild==0.24.1)
venv="${LIFEBOAT_BUILD_VENV:-$HOME/.local/share/lifeboat-build/venv}"
# (`site --user-base` exits 1 where user installs are disabled, as in a venv: not an error.)
user_bin="$(python3 -m site --user-base 2>/dev/null || true)/bin"
if ! command -v cargo-zigbuild >/dev/null 2>&1 && [ ! -x "$venv/bin/cargo-zigbuild" ] \
  && [ ! -x "$user_bin/cargo-zigbuild" ]; then
  echo "Installing ${zig_packages[*]} from PyPI (make release) ..." >&2
  if ! python3 -m pip install --quiet --user "${zig_packages[@]}" >/dev/null 2>&1 \
    && ! python3 -m pip install --quiet "${zig_packages[@]}" >/dev/null 2>&1; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "${zig_packages[@]}"
  fi
fi

# The docker exec tests need a running daemon; machines of this project start one, a fresh
# Debian box with docker.io installed just now may not have.
if command -v docker >/dev/null 2>&1 && ! docker info >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    if command -v systemctl >/dev/null 2>&1 && systemctl start docker 2>/dev/null; then :; else
      (dockerd >/var/log/lifeboat-dockerd.log 2>&1 &)
    fi
    for _ in $(seq 1 30); do docker info >/dev/null 2>&1 && break; sleep 1; done
  fi
  docker info >/dev/null 2>&1 || echo "warning: the Docker daemon is not running; docker exec tests will fail (start it with 'sudo systemctl start docker')." >&2
fi
exit 0
