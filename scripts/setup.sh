#!/usr/bin/env bash
# Install everything onetag's tests and demo need on a fresh Debian/Ubuntu machine.
# Debian packages (as root, or through sudo): the OCI registry, buildah and what it runs on,
# QEMU user emulation for foreign-architecture RUN steps, skopeo and ripgrep for benchmarks.
# Python packages go into .venv/ (never the system Python).
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(docker-registry buildah runc fuse-overlayfs qemu-user-static binfmt-support skopeo ripgrep shellcheck git make python3-venv)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The end-to-end build tests copy Debian's busybox-static for arm64 into a FROM-scratch image.
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO dpkg --add-architecture arm64
  $SUDO apt-get update -qq
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install -q -e '.[test]'
