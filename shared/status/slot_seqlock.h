// The per-slot sequence lock of the status segment, and the slot's encoding. One writer (supd's
// loop thread) per segment; any number of readers in any process. See sup/status_shm.h.
#pragma once

#include <cstdint>
#include <optional>

#include "status/status_types.h"

namespace sup::daemon {

// Encodes `data` into the fixed layout (names cut to fit, always NUL-terminated).
sup_status_slot_data EncodeSlot(const SlotData& data);
// Decodes a consistent copy; nullopt for a free slot or one with an unknown state or health.
// Never trusts the bytes (bounded strings).
std::optional<SlotData> DecodeSlot(const sup_status_slot_data& raw);

// Writer side: seq odd, release fence, relaxed word stores, seq even (release).
void SeqlockWrite(sup_status_slot* slot, const sup_status_slot_data& data);

// Reader side: a consistent copy, or nullopt when the slot stayed odd or changing for about
// `patience_ms` (a writer that died mid-write). Spins briefly, then sleeps 1 ms between tries:
// a writer preempted mid-write on a busy machine must not make a reader give up.
std::optional<sup_status_slot_data> SeqlockRead(const sup_status_slot* slot, int patience_ms = 1000);

}  // namespace sup::daemon
