#!/usr/bin/env bash
# The sanitizer builds CI runs beside the normal one (gcc):
#  1. build-asan: AddressSanitizer + UndefinedBehaviorSanitizer (leaks included), the product
#     and every test (unit, integration, PID 1) run against it;
#  2. build-tsan: ThreadSanitizer, only the unit tests of the code that runs threads (the
#     status segment's stress readers, libsupagent, the output writer pool, the control socket
#     and health probes' test peers, supctl's test servers, the loop's async handle).
# Fails on the first sanitizer report (every sanitizer aborts the process that trips it).
#   SANITIZERS=tsan ./scripts/sanitize.sh    # one of them ("asan tsan" by default)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=$(nproc)
sanitizers=(${SANITIZERS:-asan tsan})

[ "${SUP_NO_SETUP:-}" = 1 ] || ./scripts/setup.sh --dev

# Debug keeps assert() live. -g1 (line tables) is all a sanitizer's stack trace needs and
# compiles a third faster than -g. ASan+UBSan at -O0 compiles in half the time of -O1 and the
# tests, which mostly wait on processes, barely notice; TSan needs -O1 to be fast enough.
configure() {  # DIR OPTIMISATION OPTION
  cmake -S "$root" -B "$1" -G "Unix Makefiles" -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_C_FLAGS_DEBUG="$2 -g1" -DCMAKE_CXX_FLAGS_DEBUG="$2 -g1" "$3" >/dev/null
}

# The folders whose targets the tests use (bench/ is left out: its probes link statically).
build_product_and_tests() {  # DIR
  local d
  for d in conf agent supervisor ctl tests; do
    if [ -f "$1/$d/Makefile" ]; then make -s -C "$1/$d" all -j"$jobs"; fi
  done
}

# Catch test cases are sentences; names without a space are add_test() runners (integration,
# pid1, fuzz) and the placeholders of test executables that were not built.
unit_tests_only='^[^ ]+$'

start=$(date +%s)
for s in "${sanitizers[@]}"; do
  t0=$(date +%s)
  case $s in
    asan)
      configure "$root/build-asan" -O0 -DSUP_SANITIZE=ON
      build_product_and_tests "$root/build-asan"
      echo "sanitize.sh: asan built in $(( $(date +%s) - t0 )) s"
      # supd, supctl and the test workers inherit these through ctest and pytest. ASan and LSan
      # reports go to files, one per process: a report from a process whose exit status no test
      # looks at (a worker, a supd stopped at the end of a test) still fails the run, and
      # workers' output that tests compare stays clean. libubsan ignores log_path: a UBSan
      # report goes to the process's stderr and aborts it (exit status 134 / SIGABRT).
      reports=$root/build-asan/sanitizer-reports
      rm -rf "$reports" && mkdir -p "$reports"
      status=0
      # Left out: the tests that bound supd's RSS or CPU time. ASan's quarantine (256 MiB of
      # freed memory held back to catch use-after-free), redzones and shadow make RSS grow by
      # design, and instrumented code at -O0 costs several times the CPU of a release build.
      export SUP_SANITIZER=address
      export PYTEST_ADDOPTS="-k 'not memory_stays_bounded and not pile_up_requests_in_flight and not cost_supd and not costs_supd'"
      ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:check_initialization_order=1:log_path=$reports/asan \
      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:abort_on_error=1 \
        ctest --test-dir "$root/build-asan" --output-on-failure -j"$jobs" --timeout 600 \
          -E 'NOT_BUILT|^fuzz\.|^integration\.test_restart_soak$|^install\.' || status=$?
      # (install.* is left out: an outside worker cannot link the instrumented libsupagent
      # without the sanitizer runtime; the install layout is not a memory-safety question.)
      # Only errors count: a clone(CLONE_VM) child's one-time "ignoring __asan_handle_no_return"
      # warning is expected (the spawner unpoisons the child stack itself).
      found=$(grep -l -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$reports"/* 2>/dev/null || true)
      if [ -n "$found" ]; then
        for f in $found; do echo "=== $f"; cat "$f"; done
        echo "sanitize.sh: asan: sanitizer reports in $(echo "$found" | wc -l) processes" >&2
        status=1
      fi
      [ "$status" = 0 ] || exit "$status"
      ;;
    tsan)
      configure "$root/build-tsan" -O1 -DSUP_SANITIZE_THREAD=ON
      cmake --build "$root/build-tsan" -j"$jobs" --target \
        status_tests agent_tests output_tests control_tests health_tests ctl_tests loop_tests \
        logging_tests
      echo "sanitize.sh: tsan built in $(( $(date +%s) - t0 )) s"
      TSAN_OPTIONS=halt_on_error=1:abort_on_error=1:second_deadlock_stack=1 \
        ctest --test-dir "$root/build-tsan" --output-on-failure -j"$jobs" --timeout 600 \
          -E "$unit_tests_only"
      ;;
    *) echo "sanitize.sh: unknown sanitizer '$s' (asan, tsan)" >&2; exit 2 ;;
  esac
  echo "sanitize.sh: $s passed in $(( $(date +%s) - t0 )) s"
done
echo "sanitize.sh: all of (${sanitizers[*]}) passed in $(( $(date +%s) - start )) s"
