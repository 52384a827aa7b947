#!/usr/bin/env bash
# `make release`: lifeboat for the masters it is for. A stripped x86_64 binary linked against
# glibc 2.17's symbols (RHEL 7 / Atomic Host 7 and everything later) with cargo-zigbuild, its
# man page beside it, and the result checked by scripts/check-portable:
#   dist/lifeboat   dist/lifeboat.1
# The build scripts (ring's C, etcd-client's protoc) run on this host as usual; only the final
# link and the target's C go through zig, which carries glibc 2.17's symbol lists.
set -euo pipefail
cd "$(dirname "$0")/.."

triple=x86_64-unknown-linux-gnu
# setup.sh installs cargo-zigbuild and zig into this venv when pip cannot install them for the
# user; the venv's python3 is also the one cargo-zigbuild runs `python3 -m ziglang` with.
venv="${LIFEBOAT_BUILD_VENV:-$HOME/.local/share/lifeboat-build/venv}"
[ -x "$venv/bin/cargo-zigbuild" ] && export PATH="$venv/bin:$PATH"
# (`site --user-base` exits 1 where user installs are disabled, as in a venv: not an error.)
user_bin="$(python3 -m site --user-base 2>/dev/null || true)/bin"
[ -x "$user_bin/cargo-zigbuild" ] && export PATH="$PATH:$user_bin"
command -v cargo-zigbuild >/dev/null || {
  echo "release: cargo-zigbuild is missing; run scripts/setup.sh (pip install ziglang cargo-zigbuild)" >&2
  exit 1
}

# Stripped: a third of the size, and the symbols are of no use on a master (errors carry their
# context; LIFEBOAT_DEBUG prints the chain).
CARGO_PROFILE_RELEASE_STRIP=symbols \
  "${CARGO:-cargo}" zigbuild --locked --release --target "$triple.2.17" --bin lifeboat

mkdir -p dist
# Replaced whole, never half-copied over a binary someone is scp-ing.
cp "target/$triple/release/lifeboat" dist/lifeboat.new
mv dist/lifeboat.new dist/lifeboat
dist/lifeboat man >dist/lifeboat.1.new
mv dist/lifeboat.1.new dist/lifeboat.1
dist/lifeboat --version
scripts/check-portable dist/lifeboat
