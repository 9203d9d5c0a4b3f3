#!/usr/bin/env bash
# The container test (SPEC §7): builds the repository's Dockerfile with podman and checks
# through the real runtime: supd is PID 1; `podman logs` shows every program's lines with
# their prefixes (stdout and stderr); `podman stop` stops the programs gracefully,
# dependants first, and the exit code follows §7 (0 graceful, 1 SIGKILL needed, 2 config
# error, 3 on_fatal = "shutdown", main's status with `-- CMD`); orphans leave no zombie and
# leftovers get SIGTERM; the image's HEALTHCHECK reports healthy, and unhealthy when a
# program is not RUNNING; the same image runs as uid 65534 on a read-only root.
#
#   tests/container/run.sh      (as root: installs podman, runc and debootstrap if missing)
#
# The base image (localhost/debian:12) is made once with debootstrap (minbase, bookworm,
# the Debian mirror of this machine's apt configuration) and kept between runs, as are
# podman's build layers and the build's ccache (a build cache mount). Every container is
# named after this run and removed on exit, with the temp dir.
# Exit status: 0 all checks passed; 1 a check or a step failed (each is printed);
# 77 skipped: podman cannot be installed or run here (never on CI, where CI=true: then 1).
# Environment: SUP_IMAGE (default localhost/sup:test), SUP_BASE_IMAGE (localhost/debian:12).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
IMAGE=${SUP_IMAGE:-localhost/sup:test}
BASE_IMAGE=${SUP_BASE_IMAGE:-localhost/debian:12}
PODMAN=(podman --runtime runc --cgroup-manager=cgroupfs)
LIMITS=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
RUN_ID="sup-ctest-$$"
TMP=$(mktemp -d "/tmp/${RUN_ID}-XXXXXX") || { echo "FAIL - mktemp"; exit 1; }
CONTAINERS=()
FAILED=()

cleanup() {
  local c
  for c in "${CONTAINERS[@]}"; do
    "${PODMAN[@]}" rm -f -t 0 "$c" >/dev/null 2>&1
  done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '%s\n' "$*"; }
pass() { say "ok   - $*"; }
fail() { say "FAIL - $*"; FAILED+=("$*"); }
die() { say "FAIL - $*"; exit 1; }
# Cannot run here: a failure on CI, a skip (77) elsewhere.
unavailable() {
  if [ "${CI:-}" = true ]; then die "$* (CI=true: the container test must run)"; fi
  say "SKIP - $*"
  exit 77
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# retry SECONDS CMD...: runs CMD every 0.3 s until it succeeds or SECONDS have passed.
retry() {
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@"; do
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    sleep 0.3
  done
}

# --- prerequisites -------------------------------------------------------------------------
missing=()
for tool in podman runc debootstrap; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || unavailable "${missing[*]} missing and not root to install them"
  say "installing podman, runc, debootstrap (missing: ${missing[*]})"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq podman runc debootstrap uidmap fuse-overlayfs; } \
    >"$TMP/apt.log" 2>&1 || { tail -20 "$TMP/apt.log"; die "cannot install podman, runc, debootstrap"; }
fi
"${PODMAN[@]}" info >"$TMP/info.log" 2>&1 || { tail -5 "$TMP/info.log"; unavailable "podman cannot run here"; }

# The Debian bookworm mirror this machine's apt uses (deb822 or one-line sources alike).
debian_mirror() {
  apt-get indextargets --no-release-info --format '$(REPO_URI) $(RELEASE) $(COMPONENT) $(IDENTIFIER)' \
    2>/dev/null | awk '$2 == "bookworm" && $3 == "main" && $4 == "Packages" && $1 ~ /^(https?|file):/ {
      print $1; exit }'
}

started=$(now)
if "${PODMAN[@]}" image exists "$BASE_IMAGE"; then
  say "base image $BASE_IMAGE: cached"
else
  [ "$(id -u)" -eq 0 ] || unavailable "making $BASE_IMAGE with debootstrap needs root"
  mirror=$(debian_mirror)
  [ -n "$mirror" ] || die "no Debian bookworm main mirror in the apt configuration (apt-get indextargets)"
  say "base image $BASE_IMAGE: debootstrap --variant=minbase bookworm from $mirror"
  debootstrap --variant=minbase bookworm "$TMP/rootfs" "$mirror" >"$TMP/debootstrap.log" 2>&1 \
    || { tail -20 "$TMP/debootstrap.log"; die "debootstrap failed"; }
  tar -C "$TMP/rootfs" -c . | "${PODMAN[@]}" import - "$BASE_IMAGE" >"$TMP/import.log" 2>&1 \
    || { tail -5 "$TMP/import.log"; die "podman import of the base image failed"; }
  rm -rf "$TMP/rootfs"
  pass "base image $BASE_IMAGE made in $(since "$started")s"
fi

# --- image ---------------------------------------------------------------------------------
t=$(now)
# The docker format keeps HEALTHCHECK (the OCI format has no such field).
if "${PODMAN[@]}" build --format docker --pull=never --network host --build-arg BASE="$BASE_IMAGE" \
     "${LIMITS[@]}" --iidfile "$TMP/iid" -t "$IMAGE" -f "$ROOT/Dockerfile" "$ROOT" >"$TMP/build.log" 2>&1; then
  pass "image $IMAGE built in $(since "$t")s"
else
  tail -40 "$TMP/build.log"
  die "podman build failed (log above)"
fi
# Layers of builds that newer ones replaced (labelled by the Dockerfile), a day after.
"${PODMAN[@]}" image prune -f --filter label=org.sup.image --filter until=24h >/dev/null 2>&1
# The containers run this build's image by its ID: a concurrent run may retag IMAGE.
image_id=$(cat "$TMP/iid") && [ -n "$image_id" ] || die "podman build wrote no image ID"
health_cmd=$("${PODMAN[@]}" image inspect -f '{{.HealthCheck.Test}}' "$image_id" 2>/dev/null)
case "$health_cmd" in
  *"supctl status"*) pass "image HEALTHCHECK is $health_cmd" ;;
  *) fail "image HEALTHCHECK is '$health_cmd', expected supctl status" ;;
esac

# run NAME ARGS...: a detached container of this run (no network), remembered for cleanup.
# podman's own complaints (no systemd for healthcheck timers) go to NAME.run.log.
run() {
  local name=$1; shift
  CONTAINERS+=("$RUN_ID-$name")
  "${PODMAN[@]}" run -d --name "$RUN_ID-$name" --network none "${LIMITS[@]}" "$@" \
    >"$TMP/$name.run.log" 2>&1 || { cat "$TMP/$name.run.log"; die "podman run $name failed"; }
}
exec_in() { local name=$1; shift; timeout 30 "${PODMAN[@]}" exec "$RUN_ID-$name" "$@"; }
logs() { "${PODMAN[@]}" logs "$RUN_ID-$1"; }           # stdout to stdout, stderr to stderr
# The logs are read whole before grep: `podman logs | grep -q` fails under pipefail when grep
# quits at a match before podman has written everything (SIGPIPE).
logs_match() { local out; out=$(logs "$1" 2>&1); grep -Eq "$2" <<<"$out"; }
stderr_match() { local out; out=$(logs "$1" 2>&1 >/dev/null); grep -Eq "$2" <<<"$out"; }
exit_code() { "${PODMAN[@]}" inspect -f '{{.State.ExitCode}}' "$RUN_ID-$1"; }
# wait_exit NAME SECONDS: waits (bounded) for the container to exit, prints its exit code.
wait_exit() { timeout "$2" "${PODMAN[@]}" wait "$RUN_ID-$1" 2>/dev/null; }
stop() { "${PODMAN[@]}" stop "$@" >/dev/null 2>&1; }
# show NAME: the container's last log lines, after a failed check.
show() { say "  --- last lines of podman logs $1:"; logs "$1" 2>&1 | tail -25 | sed 's/^/  | /'; }
# expect_code NAME WANT WHAT: checks a stopped container's exit code.
expect_code() {
  local code; code=$(exit_code "$1")
  if [ "$code" = "$2" ]; then pass "$3: exit code $2"; else fail "$3: exit code '$code', expected $2"; show "$1"; fi
}

# --- the default image: PID 1, prefixed logs, healthy, a plain `podman stop` ---------------
t=$(now)
run demo "$image_id"
if retry 40 exec_in demo supctl wait all --for ready --timeout 10s >/dev/null 2>&1; then
  pass "demo programs ready ($(since "$t")s after podman run)"
else
  fail "demo programs not ready: $(exec_in demo supctl status 2>&1 | tr '\n' ' ')"
fi
comm=$(exec_in demo cat /proc/1/comm 2>&1)
[ "$comm" = supd ] && pass "PID 1 is supd" || fail "PID 1 is '$comm', expected supd"
for pattern in '^hello +\| hello [0-9]+$' '^ticker +\| tick [0-9]+$'; do
  if retry 20 logs_match demo "$pattern"; then
    pass "podman logs has lines matching '$pattern'"
  else
    fail "podman logs has no line matching '$pattern'"; show demo
  fi
done
out=$("${PODMAN[@]}" healthcheck run "$RUN_ID-demo" 2>&1); rc=$?
status=$("${PODMAN[@]}" inspect -f '{{.State.Health.Status}}' "$RUN_ID-demo" 2>&1)
if [ $rc = 0 ] && [ "$status" = healthy ]; then
  pass "HEALTHCHECK (podman healthcheck run): healthy"
else
  fail "HEALTHCHECK: podman healthcheck run exit $rc ($out), health status '$status'"
fi
stop "$RUN_ID-demo"                       # the runtime's default grace period (10 s)
expect_code demo 0 "podman stop of the default image"

# --- the same image without root, on a read-only root filesystem (docs/container.md) --------
# podman keeps /tmp, /run and /dev/shm writable under --read-only; a non-root supd puts its
# socket in /tmp/sup-<uid>/ and supctl (run as the same user by podman exec) finds it there.
run nonroot --user 65534:65534 --read-only "$image_id"
if retry 40 exec_in nonroot supctl wait all --for ready --timeout 10s >/dev/null 2>&1; then
  pass "non-root, read-only root: demo programs ready"
else
  fail "non-root: demo programs not ready: $(exec_in nonroot supctl status 2>&1 | tr '\n' ' ')"
  show nonroot
fi
uid=$(exec_in nonroot awk '/^Uid:/ { print $2 }' /proc/1/status 2>&1)
[ "$uid" = 65534 ] && pass "non-root: PID 1 (supd) runs as uid 65534" \
  || fail "non-root: PID 1 runs as uid '$uid', expected 65534"
if retry 20 logs_match nonroot '^hello +\| hello [0-9]+$'; then
  pass "non-root: podman logs has the programs' prefixed lines"
else
  fail "non-root: no 'hello | hello N' line"; show nonroot
fi
stop "$RUN_ID-nonroot"
expect_code nonroot 0 "podman stop of the non-root container"

# --- graceful stop: SIGTERM reaches each program, dependants first; stderr is prefixed too --
cat >"$TMP/graceful.toml" <<'EOF'
[supervisor]
shutdown_timeout = "20s"

[program.web]
command = ["/bin/sh", "-c", "trap 'echo web got TERM; exit 0' TERM; echo web up; echo web warning >&2; while :; do sleep 0.2; done"]
stop_timeout = "15s"

[program.worker]
command = ["/bin/sh", "-c", "trap 'echo worker got TERM; exit 0' TERM; echo worker up; while :; do sleep 0.2; done"]
depends_on = { web = "started" }
stop_timeout = "15s"
EOF
run graceful -v "$TMP/graceful.toml:/etc/sup/sup.toml:ro" "$image_id"
if retry 40 exec_in graceful supctl wait all --for running --timeout 10s >/dev/null 2>&1; then
  pass "graceful: programs running"
else
  fail "graceful: programs not running"; show graceful
fi
if retry 20 stderr_match graceful '^web +\| web warning$'; then
  pass "podman logs has a program's stderr line, prefixed, on stderr"
else
  fail "podman logs has no 'web | web warning' line on stderr"; show graceful
fi
stop -t 60 "$RUN_ID-graceful"
expect_code graceful 0 "podman stop, programs that exit on SIGTERM"
# Both lines are in podman logs, worker's first.
term_order() {
  local lines worker_at web_at
  lines=$(logs graceful 2>/dev/null | grep -nE '^(web|worker) +\| (web|worker) got TERM$')
  worker_at=$(awk -F: '/worker got TERM/ { print $1 }' <<<"$lines")
  web_at=$(awk -F: '/web got TERM/ { print $1 }' <<<"$lines")
  [ -n "$worker_at" ] && [ -n "$web_at" ] && [ "$worker_at" -lt "$web_at" ]
}
if retry 10 term_order; then
  pass "podman stop: each program got SIGTERM and logged it, the dependant (worker) first"
else
  fail "podman stop: expected 'worker got TERM' before 'web got TERM' in podman logs"; show graceful
fi

# --- a program that ignores SIGTERM: SIGKILL after its stop_timeout, exit 1; unhealthy -----
cat >"$TMP/stubborn.toml" <<'EOF'
[supervisor]
shutdown_timeout = "20s"

[program.stubborn]
command = ["/bin/sh", "-c", "trap '' TERM; echo stubborn up; while :; do sleep 0.2; done"]
stop_timeout = "1s"

[program.flaky]
command = ["/bin/sh", "-c", "echo flaky fails; exit 1"]
backoff = { initial = "1h", max = "1h" }
EOF
run stubborn -v "$TMP/stubborn.toml:/etc/sup/sup.toml:ro" "$image_id"
unhealthy() { [ "$("${PODMAN[@]}" healthcheck run "$RUN_ID-stubborn" 2>&1)" = unhealthy ]; }
if retry 40 exec_in stubborn supctl wait stubborn --for running --timeout 10s >/dev/null 2>&1 \
   && retry 20 unhealthy; then
  pass "HEALTHCHECK: unhealthy while a program is in BACKOFF"
else
  fail "HEALTHCHECK does not report unhealthy with a program in BACKOFF"; show stubborn
fi
stop -t 60 "$RUN_ID-stubborn"
expect_code stubborn 1 "podman stop, a program ignoring SIGTERM (SIGKILLed after 1s)"

# --- orphans: reaped as they die; a leftover in its own session gets SIGTERM at stop -------
mkdir -p "$TMP/shared"
cat >"$TMP/shared/orphans.sh" <<'EOF'
# Eight double-forked children orphaned at once, then a leftover in its own session (out of
# the program's process group) that records the SIGTERM supd sends it at the end.
for i in 1 2 3 4 5 6 7 8; do (sleep 0.3 & echo $! >>/shared/orphans); done
setsid /bin/sh -c 'trap "echo TERM >/shared/leftover; exit 0" TERM; while :; do sleep 0.2; done' \
  </dev/null >/dev/null 2>&1 &
echo spawned
exec sleep infinity
EOF
cat >"$TMP/shared/check.sh" <<'EOF'
# Every orphan has existed and is gone, and no process in the container is a zombie.
[ "$(wc -l </shared/orphans)" = 8 ] || exit 1
for p in $(cat /shared/orphans); do [ -e "/proc/$p" ] && exit 1; done
for s in /proc/[0-9]*/stat; do
  state=$(sed 's/.*) //' "$s" 2>/dev/null | cut -d' ' -f1)
  [ "$state" = Z ] && exit 1
done
exit 0
EOF
cat >"$TMP/orphans.toml" <<'EOF'
[supervisor]
shutdown_timeout = "20s"

[program.orphans]
command = ["/bin/sh", "/shared/orphans.sh"]
EOF
run orphans -v "$TMP/orphans.toml:/etc/sup/sup.toml:ro" -v "$TMP/shared:/shared" "$image_id"
if retry 40 logs_match orphans '^orphans +\| spawned$' && retry 20 exec_in orphans sh /shared/check.sh; then
  pass "orphans reparented to supd were reaped: no zombie left"
else
  fail "orphans or zombies left: $(exec_in orphans sh -c 'cat /shared/orphans; ps -eo pid,stat,comm 2>/dev/null \
    || grep -H State /proc/[0-9]*/status' 2>&1 | tr '\n' ' ')"
fi
stop -t 60 "$RUN_ID-orphans"
expect_code orphans 0 "podman stop with a leftover process"
if [ "$(cat "$TMP/shared/leftover" 2>/dev/null)" = TERM ]; then
  pass "the leftover process got SIGTERM from supd (and exited by itself)"
else
  fail "the leftover process did not record a SIGTERM"; show orphans
fi

# --- on_fatal = "shutdown": the container ends with 3 --------------------------------------
cat >"$TMP/fatal.toml" <<'EOF'
[program.steady]
command = ["/bin/sh", "-c", "echo steady; exec sleep infinity"]

[program.broken]
command = ["/bin/sh", "-c", "echo failing; exit 4"]
start_retries = 1
backoff = { initial = "0s" }
on_fatal = "shutdown"
EOF
run fatal -v "$TMP/fatal.toml:/etc/sup/fatal.toml:ro" "$image_id" -c /etc/sup/fatal.toml
wait_exit fatal 60 >/dev/null
expect_code fatal 3 "on_fatal = \"shutdown\" program went FATAL"

# --- a config error at start-up: 2 ----------------------------------------------------------
printf '[program.typo]\ncomand = ["true"]\n' >"$TMP/typo.toml"
run typo -v "$TMP/typo.toml:/etc/sup/sup.toml:ro" "$image_id"
wait_exit typo 60 >/dev/null
expect_code typo 2 "config error at start-up"
retry 10 logs_match typo 'comand' && pass "the config error names the unknown key" \
  || { fail "the config error does not name the unknown key 'comand'"; show typo; }

# --- a main program: supd -c FILE -- CMD exits with CMD's status ---------------------------
run main "$image_id" -c /etc/sup/sup.toml -- /bin/sh -c 'sleep 1; echo main done; exit 5'
wait_exit main 60 >/dev/null
expect_code main 5 "config + main program (-- CMD exiting 5)"
retry 10 logs_match main '^main +\| main done$' && pass "the main program's output is prefixed 'main | '" \
  || { fail "no 'main | main done' line"; show main; }

say "container test took $(since "$started")s"
if [ ${#FAILED[@]} -gt 0 ]; then
  say "${#FAILED[@]} check(s) failed:"
  printf '  - %s\n' "${FAILED[@]}"
  exit 1
fi
say "all container checks passed"
