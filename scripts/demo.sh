#!/usr/bin/env bash
# `make demo`: the whole onetag story on the bundled example project
# (fixtures/examples/sandbox-sdk, a copy of a real per-architecture setup).
set -euo pipefail
cd "$(dirname "$0")/.."
export ONETAG=${ONETAG:-.venv/bin/onetag}
EXAMPLE=fixtures/examples/sandbox-sdk

echo "== onetag lint $EXAMPLE   (exit 1: findings)"
"$ONETAG" lint "$EXAMPLE" || true
echo
echo "== onetag migrate --diff $EXAMPLE   (writes nothing)"
"$ONETAG" migrate --diff "$EXAMPLE"
echo
scripts/demo_build.sh
