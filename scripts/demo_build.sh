#!/usr/bin/env bash
# The build part of `make demo`: build CONTEXT for linux/amd64 and linux/arm64 with buildah,
# push it to a registry this script starts on a free loopback port, verify it, clean up.
# usage: scripts/demo_build.sh [CONTEXT] (default: fixtures/build/demo, a FROM-scratch image that
# needs no network and no emulation: the example's own Dockerfile downloads from Docker Hub and
# GitHub, which a fresh machine may not reach). Needs docker-registry and buildah (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
CONTEXT=${1:-fixtures/build/demo}
ONETAG=${ONETAG:-.venv/bin/onetag}
PY=${PY:-.venv/bin/python}
EXAMPLE_PKG=${EXAMPLE_PKG:-fixtures/examples/sandbox-sdk/packages/sandbox}

if [ -d "$EXAMPLE_PKG" ]; then
  echo "== onetag build --push --dry-run $EXAMPLE_PKG   (the release command, with docker buildx)"
  "$ONETAG" build "$EXAMPLE_PKG" --push --dry-run
  echo
fi

work=$(mktemp -d -t onetag-demo-XXXXXX)
registry_pid=""
cleanup() {
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; fi
  # buildah's vfs store can hold read-only directories; make them removable first
  chmod -R u+w "$work" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/registry.yml" <<YML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$port
YML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
"$PY" - "$port" <<'PY'
import socket, sys, time
deadline = time.monotonic() + 20
while True:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit("demo: the local registry did not start")
        time.sleep(0.1)
PY

# buildah keeps its images in this temporary store, never the machine's.
cat >"$work/storage.conf" <<CONF
[storage]
driver = "vfs"
graphroot = "$work/storage"
runroot = "$work/run"
CONF
export CONTAINERS_STORAGE_CONF="$work/storage.conf" BUILDAH_ISOLATION=chroot

image="127.0.0.1:$port/ghostwriternr/cloudflare-sandbox"
echo "== onetag build --backend buildah --push   ($image:0.0.9 from $CONTEXT, into a local registry)"
"$ONETAG" build "$CONTEXT" --backend buildah --push --image "$image" --tag 0.0.9 --platform linux/amd64,linux/arm64
echo
echo "== onetag verify --deep $image:0.0.9"
"$ONETAG" verify --deep --platform linux/amd64,linux/arm64 "$image:0.0.9"

# --- retire: users who still pull the old -arm name get the multi-platform image too ----------
old="127.0.0.1:$port/ghostwriternr/cloudflare-sandbox-arm"
echo
echo "== push $old:0.0.9   (the single-platform arm64 image the project published before)"
"$PY" scripts/push_old_image.py "$old:0.0.9" linux/arm64
echo
echo "== onetag retire $old --to $image --repoint --dry-run"
"$ONETAG" retire "$old" --to "$image" --repoint --dry-run
echo
echo "== onetag retire $old --to $image --repoint"
"$ONETAG" retire "$old" --to "$image" --repoint
echo
echo "== onetag verify $old:0.0.9   (the old name now serves both platforms)"
"$ONETAG" verify --platform linux/amd64,linux/arm64 "$old:0.0.9"
