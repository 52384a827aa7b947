# The README's two commands are `make demo` and `make test`; both install what is missing.
CARGO ?= cargo

.PHONY: setup demo test lint build bench

setup:
	@scripts/setup.sh

build: setup
	$(CARGO) build

# The dashboard on a local 3-member TLS etcd sandbox (started if it is not running).
demo: build
	$(CARGO) run --quiet -- demo

# Everything CI runs: formatting, clippy, then every test against real etcd, docker and tmux.
# (--all-targets would also run the benchmark, which takes minutes; clippy still checks it.)
test: setup lint
	$(CARGO) test --lib --bins --tests

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

# lifeboat against the tools engineers use today, printed as ratios (README, Benchmarks).
bench: setup
	$(CARGO) bench --bench ratios
