#!/usr/bin/env bash
# Installs what building and testing sup needs on Debian 12. Idempotent; needs root.
set -euo pipefail
packages=(
  build-essential cmake pkg-config ccache git
  libuv1-dev libtomlplusplus-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libcli11-dev catch2
  libhttp-parser-dev
  python3 python3-pytest python3-prometheus-client python3-yaml procps util-linux socat zsh
  libnss-systemd  # tests/integration/test_ctl_nss.py: supctl on a host-like `passwd: files systemd`
  # Tests run by scripts/test.sh: supervisord for the import's differential test, promtool
  # (in Debian's prometheus package) for /metrics, systemd-analyze for the deploy unit.
  supervisor prometheus systemd
  scdoc man-db  # the manual pages are built from man/*.scd; man -l renders them in tests/install
  tmux fish  # `supctl top` driven for real under tmux; the fish completion run by fish itself
  strace  # tests/integration/test_resources_reads.py: which thread reads which /proc file
)
if [ "${1:-}" = "--dev" ] || [ "${SUP_SETUP_ALL:-}" = 1 ]; then
  # Sanitizers and fuzzing (clang), benchmarks, the container test, and the peers that
  # bench/run.py measures beside sup (supervisord is in the base list). runit alone is the
  # supervision tools (runsvdir, runsv, sv, svlogd): it neither replaces /sbin/init (that is
  # runit-init, which --no-install-recommends leaves out) nor starts a service.
  packages+=(clang libclang-rt-14-dev libbenchmark-dev hyperfine tini dumb-init s6 runit)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
