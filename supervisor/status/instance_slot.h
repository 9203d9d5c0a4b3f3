// An instance as the status segment shows it (SPEC §9.1): its slot's data, for supctl's
// reads without the socket and for the next supd's crash recovery. Compiled into sup_daemon
// (it reads core/'s Instance); sup_status itself stays free of it, linkable by supctl.
#pragma once

#include "status/status_types.h"

namespace sup::daemon {

class Instance;

SlotData InstanceSlot(const Instance& instance);

}  // namespace sup::daemon
