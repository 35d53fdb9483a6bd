# The two commands the README promises, each doing its own set-up:
#   make run   - build the grate and the C test binary, run the binary under the grate
#                (default imfs.toml and test/imfs.small.toml)
#   make test  - every check CI runs
.PHONY: setup run test lint nostd bench

setup:
	./scripts/setup.sh

run: setup
	$(MAKE) -C test run

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

# imfs-core must build for a bare-metal target: proof that it is no_std without alloc.
nostd:
	cargo build -p imfs-core --target thumbv7em-none-eabihf

test: setup lint nostd
	cargo test --workspace
	cargo bench -p imfs-core -- --test

bench: setup
	cargo bench -p imfs-core
