# The README's two commands are `make demo` and `make test`; both install what is missing.
CARGO ?= cargo

.PHONY: setup demo test lint build bench release

setup:
	@scripts/setup.sh

build: setup
	$(CARGO) build --workspace

# The dashboard on a local 3-member TLS etcd sandbox (started if it is not running). The sandbox
# is a tool of its own (crates/lifeboat-sandbox); lifeboat reaches it only through the variables
# `lifeboat-sandbox env` prints, as it would reach any cluster.
demo: build
	$(CARGO) run --quiet -p lifeboat-sandbox -- up --reuse
	eval "$$($(CARGO) run --quiet -p lifeboat-sandbox -- env)" && $(CARGO) run --quiet -p lifeboat

# Everything CI runs: formatting, clippy, then every test against real etcd, docker and tmux.
# (--all-targets would also run the benchmark, which takes minutes; clippy still checks it.)
# The tests drive the lifeboat-sandbox binary, which a test of another package cannot ask cargo
# to build: the workspace is built first.
# The portable release is built first (once), so that the tests check what ships: its glibc
# symbol versions and libraries (scripts/check-portable), and that it runs against the sandbox.
test: setup lint release
	$(CARGO) build --workspace --bins
	$(CARGO) test --workspace --lib --bins --tests

# dist/lifeboat (stripped, x86_64, glibc 2.17 and later: RHEL 7) and dist/lifeboat.1.
release: setup
	CARGO=$(CARGO) scripts/release.sh

# Module cycles are listed by scripts/module-cycles and fail the lint, as clippy's warnings do.
lint:
	$(CARGO) fmt --all -- --check
	scripts/module-cycles
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# lifeboat against the tools engineers use today, printed as ratios (README, Benchmarks).
# The status and picker cases start the sandbox binary, which `cargo bench` does not build.
bench: setup
	$(CARGO) build --release -p lifeboat-sandbox
	$(CARGO) bench --bench ratios
