// Process-wide start-up steps that must run before anything else in supd's main():
// block every signal (so a TERM during config loading is never lost; the loop unblocks
// them once its watchers are in place) and make sure fds 0-2 are open.
#pragma once

#include <signal.h>

namespace sup::daemon {

// Blocks all signals; returns the mask that was in force before.
sigset_t BlockAllSignals();
// Unblocks every signal that supd handles through the loop (libuv's signal watchers use a
// self-pipe, so the handlers must be installed before this call).
void UnblockSignals();
// Opens /dev/null on any of fds 0, 1, 2 that is closed, so that no later open() lands there.
void EnsureStandardFds();

}  // namespace sup::daemon
