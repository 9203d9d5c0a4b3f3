// The signal state supd was started with (SPEC §9.6): the blocked mask and the ignored
// signals. The command-line program (init mode's child, `-c FILE -- CMD`'s main) starts with
// exactly this state, as under tini: a `nohup` SIGHUP or an inherited block survives supd.
// supd's own handlers, ignores (SIGPIPE) and blocks are never passed on.
#pragma once

#include <signal.h>

namespace sup::daemon {

struct InheritedSignals {
  sigset_t mask;     // blocked when supd started
  sigset_t ignored;  // SIG_IGN when supd started

  // `mask_at_start` is the mask before supd blocked anything (BlockAllSignals' result); the
  // dispositions are read now, so call this before supd installs or ignores any signal.
  static InheritedSignals Capture(const sigset_t& mask_at_start);
  // Nothing blocked, nothing ignored: the clean state the config's programs start with.
  static InheritedSignals None();

  // Between fork and exec (async-signal-safe, no allocation). Every disposition back to
  // SIG_DFL except the ignored ones, which become SIG_IGN: supd's handlers never reach exec.
  // Call with every signal blocked, before RestoreMask.
  void RestoreDispositions() const noexcept;
  // Sets the mask to `mask`; returns 0 or errno.
  int RestoreMask() const noexcept;
};

}  // namespace sup::daemon
