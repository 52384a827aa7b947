# Sourced by the screenshots scripts: the real binaries built, a work directory, and the
# capture of a tmux pane as a PNG. The caller sets `sock` (its tmux socket), `session` (the
# pane `shot` captures by default) and `sandboxes` (the sandbox directories under $work that
# are stopped on exit) before sourcing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
python3 -c 'import pyte, PIL' 2>/dev/null || pip install --quiet pyte pillow
cargo build --quiet --workspace
bin=$PWD/target/debug/lifeboat
sandbox=$PWD/target/debug/lifeboat-sandbox
work=$(mktemp -d)
W=140 H=38
export XDG_STATE_HOME=$work/state XDG_DATA_HOME=$work/data XDG_CONFIG_HOME=$work/config

cleanup() {
  tmux -L "$sock" kill-server 2>/dev/null || true
  for sb in "${sandboxes[@]}"; do "$sandbox" down --dir "$work/$sb" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

shot() { # name, seconds to wait first, tmux session (default: $session)
  sleep "$2"
  tmux -L "$sock" capture-pane -e -p -t "${3:-$session}" | python3 scripts/ansi_to_png.py $W $H "screenshots/$1.png"
  echo "screenshots/$1.png"
}
