#!/usr/bin/env bash
# Installs what building and testing imfs needs on a fresh Debian/Ubuntu
# machine: libseccomp (native host), a C compiler with static libc (the C test
# binary), dash (the signal tests run its pipelines), and the bare-metal Rust
# target that proves imfs-core is no_std.
# Idempotent: it installs only what is missing.
set -euo pipefail

need_pkgs=()
for pkg in libseccomp-dev gcc libc6-dev make pkg-config dash; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_pkgs+=("$pkg")
done
if ((${#need_pkgs[@]})); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

if ! rustup target list --installed | grep -qx thumbv7em-none-eabihf; then
    rustup target add thumbv7em-none-eabihf
fi
rustup component list --installed | grep -q '^clippy' || rustup component add clippy
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
