// supd's own descriptor table, sized once at start-up.
//
// Linux grows a process's fd table by doubling it, and while the table is shared (by threads)
// each growth waits for an RCU grace period (expand_fdtable's synchronize_rcu): 10-20 ms
// each on the development machine, during which the loop thread stands still. Starting 200
// programs (~620 fds) grew it four times, to 1024; two of the waits showed as 17 and 21 ms
// gaps, and the spawn took 83 ms instead of 52-68. Growing the table to its final size once,
// before supd starts any thread, costs no grace period at all.
#pragma once

#include <cstddef>

#include "sup/conf/config.h"

namespace sup::daemon {

// Raises supd's soft RLIMIT_NOFILE to the hard one: thousands of programs need thousands of
// pipes. Children get the original back (Spawner's OriginalLimits, captured before this).
void RaiseOwnFdLimit();

// The descriptors supd expects to hold for `config`: its own few, then per instance the two
// output pipes, two log files and a counter page.
std::size_t FdsFor(const conf::Config& config);

// The descriptors left under the soft RLIMIT_NOFILE once `fds` (FdsFor) are set aside (0 when
// none): what the accounting probes may hold open between reads (resources/fd_budget.h).
// With 10 000 programs and a hard limit of 20 000 that is none, and each read opens by path.
std::size_t SpareFds(std::size_t fds);

// Grows the table to hold `fds` descriptors (at most the soft RLIMIT_NOFILE) without keeping
// any open or touching those that are. Best effort: on failure the table grows as it fills.
// Call before starting threads; later calls still save all but one of the waits.
void ReserveFdTable(std::size_t fds);

}  // namespace sup::daemon
