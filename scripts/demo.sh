#!/usr/bin/env bash
# The README's demo command: installs, builds, and runs supd on conf/examples/demo.toml in
# the foreground. Its control socket is ./build/demo/sup.sock: in another terminal,
#   build/bin/supctl -s build/demo/sup.sock status
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
mkdir -p build/demo
export SUP_DEMO_DIR="$PWD/build/demo" SUP_BIN="$PWD/build/bin"
exec build/bin/supd -c conf/examples/demo.toml
