#!/usr/bin/env bash
# The README's test command: installs what is needed, builds, and runs every test (unit,
# integration, PID 1, deploy). CI (.ci/run) also runs scripts/fuzz.sh, scripts/sanitize.sh and
# tests/container/run.sh before it.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 300
