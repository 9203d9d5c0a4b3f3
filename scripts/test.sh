#!/usr/bin/env bash
# The README's test command: installs what is needed, builds, and runs every test
# (unit, integration, PID 1), then the sanitizer build and the bounded fuzzing when
# SUP_FULL_CI=1 (as .ci/run does).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh ${SUP_FULL_CI:+--dev}
./scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 300
