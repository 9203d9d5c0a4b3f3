#!/usr/bin/env bash
# Bounded fuzzing of sup's untrusted inputs (docs/security.md): builds the libFuzzer targets
# of tests/fuzz/ with clang (ASan + UBSan + fuzzer) in build-fuzz and runs each for
# FUZZ_SECONDS (default 60) from its seed corpus. Fails when a target crashes, leaks, hangs
# or trips a sanitizer; the reproducer is left in build-fuzz/artifacts/.
#   FUZZ_SECONDS=300 ./scripts/fuzz.sh              # longer run
#   FUZZ_TARGETS="fuzz_protocol" ./scripts/fuzz.sh  # one target
#   build-fuzz/fuzz/fuzz_config build-fuzz/artifacts/fuzz_config-crash-…   # replay a crash
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${SUP_FUZZ_DIR:-$root/build-fuzz}
seconds=${FUZZ_SECONDS:-60}
targets=(${FUZZ_TARGETS:-fuzz_config fuzz_protocol fuzz_counters fuzz_http})

[ "${SUP_NO_SETUP:-}" = 1 ] || ./scripts/setup.sh --dev

start=$(date +%s)
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSUP_FUZZ=ON -DSUP_BUILD_TESTS=ON -DSUP_SANITIZE=OFF >/dev/null
cmake --build "$build" --target "${targets[@]}" -j"$(nproc)"
echo "fuzz.sh: built in $(( $(date +%s) - start )) s"

mkdir -p "$build/artifacts"
failed=()
for t in "${targets[@]}"; do
  seeds=$root/tests/fuzz/corpus/$t
  work=$build/corpus/$t   # grows between runs; the seeds in the repo stay as committed
  mkdir -p "$work"
  dict=()
  [ -f "$root/tests/fuzz/$t.dict" ] && dict=(-dict="$root/tests/fuzz/$t.dict")
  echo "fuzz.sh: $t for ${seconds} s"
  # -timeout: one input taking > 10 s is a hang (a stall for other clients in supd).
  if ! UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
       "$build/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
         -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" "${dict[@]}" \
         "$work" "$seeds" >"$build/$t.log" 2>&1; then
    failed+=("$t")
    echo "fuzz.sh: $t FAILED; last lines of $build/$t.log:"
    tail -n 60 "$build/$t.log"
  else
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$build/$t.log" | sed "s/^/  $t /" || true
  fi
done
echo "fuzz.sh: total $(( $(date +%s) - start )) s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: crashes in: ${failed[*]} (reproducers in $build/artifacts/)"
  exit 1
fi
echo "fuzz.sh: no crash in ${targets[*]}"
