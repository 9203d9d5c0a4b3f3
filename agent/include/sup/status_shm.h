/* The public binary layout of sup's shared memory: the status segment (written only by supd,
 * read by anyone allowed to open it) and a counter page (one per instance, written by the worker
 * through the fd $SUP_COUNTERS_FD, read by supd and `supctl top`). Plain C11 / C++ so that any
 * language can read it; all multi-byte fields are native-endian and naturally aligned.
 *
 * Atomic fields (marked "atomic") are plain integers here so the layout is language neutral:
 * access them only with 4/8-byte atomic operations (C11: atomic_load_explicit on a cast to
 * _Atomic; C++20: std::atomic_ref; GCC/Clang: __atomic_load_n). Both are lock-free on every
 * platform sup builds for (asserted below).
 *
 * Status segment: [sup_status_header][capacity x slot_size bytes of sup_status_slot].
 *  - Readers step by header.slot_size (later versions may grow a slot) and use header.header_size.
 *  - Slot sequence lock: `seq` is odd while supd writes the slot. A reader loads seq (acquire),
 *    retries if odd, copies the data with relaxed 8-byte atomic loads, issues an acquire fence,
 *    reloads seq, and retries if it changed. The data is a whole number of 8-byte words.
 *  - Growth: supd creates a new segment under the same name (generation + 1) and then sets
 *    `retired` = 1 in the old one; a reader that sees retired reopens the name.
 *  - Only slots with data.in_use != 0 and index < slots_used describe an instance.
 *  - Crash recovery: a supd that finds the segment of a supd that is gone (SIGKILL, OOM) stops
 *    every instance whose pid still has pid_start_ticks, as stop_signal / kill_group /
 *    stop_timeout_ms say. Process start times are field 22 of /proc/<pid>/stat (clock ticks
 *    since boot), which a reused pid does not share.
 *  - Version 2 added supd_start_ticks and the slot's pid_start_ticks, stop_* fields (v1 slots
 *    were 256 bytes). A reader rejects a version it does not know.
 *
 * Counter page: [sup_counter_page_header][capacity x sup_counter_entry].
 *  - Registration: a writer CASes `count` from n to n+1 to own entry n, fills kind and name,
 *    then stores state = SUP_COUNTER_PUBLISHED (release). Readers load state (acquire) and
 *    ignore every other entry. Values are updated with relaxed atomic add/store.
 *  - A writer looking for a name must wait for every entry below `count` that is not yet
 *    published (FREE or CLAIMED: its claimer is between the CAS and the store), or it may
 *    register the name twice; readers keep only the first. libsupagent gives an entry up
 *    after 1 s (its claimer died) and registers past it.
 *  - The page is written by an untrusted process: readers must validate everything (count,
 *    name charset and NUL, kind) and must not map it without guarding its size (prefer pread).
 */
#ifndef SUP_STATUS_SHM_H_
#define SUP_STATUS_SHM_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#include <atomic>
extern "C" {
#endif

#define SUP_STATUS_MAGIC 0x3154415453505553ULL /* "SUPSTAT1" read as little-endian bytes */
#define SUP_STATUS_VERSION 2u
#define SUP_STATUS_NAME_MAX 80u  /* slot name field, NUL included ("web:12") */
#define SUP_STATUS_PAGE_MAX 64u  /* counter page shm name field, NUL included */

#define SUP_COUNTERS_MAGIC 0x31524e5443505553ULL /* "SUPCNTR1" */
#define SUP_COUNTERS_VERSION 1u
#define SUP_COUNTER_NAME_MAX 47u /* bytes, NUL not included */
#define SUP_COUNTERS_PER_PAGE 64u

/* Instance states, as `supctl status` names them. */
enum sup_state {
  SUP_STATE_STOPPED = 0,
  SUP_STATE_STARTING = 1,
  SUP_STATE_RUNNING = 2,
  SUP_STATE_BACKOFF = 3,
  SUP_STATE_STOPPING = 4,
  SUP_STATE_EXITED = 5,
  SUP_STATE_FATAL = 6
};
enum sup_health { SUP_HEALTH_UNKNOWN = 0, SUP_HEALTH_HEALTHY = 1, SUP_HEALTH_UNHEALTHY = 2 };
enum sup_counter_state { SUP_COUNTER_FREE = 0, SUP_COUNTER_CLAIMED = 1, SUP_COUNTER_PUBLISHED = 2 };
enum sup_counter_kind { SUP_COUNTER_KIND_COUNTER = 1, SUP_COUNTER_KIND_GAUGE = 2 };

typedef struct sup_status_header {
  uint64_t magic;               /* SUP_STATUS_MAGIC */
  uint32_t version;             /* SUP_STATUS_VERSION */
  uint32_t header_size;         /* offset of slot 0 */
  uint32_t slot_size;           /* stride between slots */
  uint32_t capacity;            /* number of slots in this segment */
  int64_t supd_pid;
  uint64_t supd_start_ns;       /* CLOCK_REALTIME ns when supd started */
  uint64_t generation;          /* 1 for the first segment, +1 per growth */
  uint32_t retired;             /* atomic: 1 once a newer segment holds the name */
  uint32_t slots_used;          /* atomic: readers scan slots [0, slots_used) */
  uint64_t supd_start_mono_ns;  /* CLOCK_MONOTONIC ns when supd started */
  uint64_t supd_start_ticks;    /* supd's start time, field 22 of /proc/<pid>/stat */
  uint64_t reserved[7];
} sup_status_header;

/* One instance, as last published; protected by the slot's seq. 33 words. */
typedef struct sup_status_slot_data {
  uint32_t in_use;              /* 0: free slot */
  uint32_t state;               /* enum sup_state */
  uint32_t ready;               /* 0 / 1 */
  uint32_t health;              /* enum sup_health */
  int64_t pid;                  /* main pid, 0 when none */
  uint64_t start_time_ns;       /* CLOCK_REALTIME ns of the current/last spawn, 0 = never */
  uint64_t start_mono_ns;       /* CLOCK_MONOTONIC ns of the same spawn (for uptime) */
  uint64_t restarts;
  int32_t exit_code;            /* last exit: code, or -1 when it died of a signal */
  int32_t exit_signal;          /* last exit: signal number, 0 when it exited */
  uint32_t has_last_exit;       /* 0: the exit_* fields mean nothing */
  uint32_t exit_core_dumped;
  uint64_t exit_time_ns;        /* CLOCK_REALTIME ns of the last exit */
  uint64_t exit_run_ns;         /* how long that run lasted */
  uint64_t captured_bytes;
  uint64_t dropped_lines;
  char name[SUP_STATUS_NAME_MAX];          /* NUL-terminated instance name */
  char counter_page[SUP_STATUS_PAGE_MAX];  /* shm_open name of its counter page, "" = none */
  uint64_t pid_start_ticks;     /* pid's start time, field 22 of /proc/<pid>/stat; 0 = unknown */
  uint32_t stop_signal;         /* how supd stops it: this signal, */
  uint32_t kill_group;          /* to the process group when 1, */
  uint64_t stop_timeout_ms;     /* then SIGKILL after this long */
} sup_status_slot_data;

typedef struct sup_status_slot {
  uint64_t seq; /* atomic: odd while being written */
  sup_status_slot_data data;
} sup_status_slot;

typedef struct sup_counter_page_header {
  uint64_t magic;        /* SUP_COUNTERS_MAGIC */
  uint32_t version;      /* SUP_COUNTERS_VERSION */
  uint32_t header_size;  /* offset of entry 0 */
  uint32_t entry_size;
  uint32_t capacity;     /* SUP_COUNTERS_PER_PAGE */
  uint32_t count;        /* atomic: entries claimed so far (may exceed capacity: clamp) */
  uint32_t reserved0;
  uint64_t heartbeat_ns; /* atomic: CLOCK_MONOTONIC ns of the worker's last sup_heartbeat() */
  uint64_t reserved[3];
} sup_counter_page_header;

typedef struct sup_counter_entry {
  uint32_t state;                       /* atomic: enum sup_counter_state */
  uint32_t kind;                        /* enum sup_counter_kind */
  char name[SUP_COUNTER_NAME_MAX + 1];  /* NUL-terminated, [a-zA-Z_:][a-zA-Z0-9_:]* */
  uint64_t value;                       /* atomic; a gauge holds an int64_t's bits */
} sup_counter_entry;

typedef struct sup_counter_page {
  sup_counter_page_header header;
  sup_counter_entry entries[SUP_COUNTERS_PER_PAGE];
} sup_counter_page;

#ifdef __cplusplus
} /* extern "C" */
#define SUP_SHM_STATIC_ASSERT static_assert
static_assert(std::atomic_ref<uint64_t>::is_always_lock_free, "sup shm needs lock-free 64-bit atomics");
static_assert(std::atomic_ref<uint32_t>::is_always_lock_free, "sup shm needs lock-free 32-bit atomics");
#else
#define SUP_SHM_STATIC_ASSERT _Static_assert
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L && !defined(__STDC_NO_ATOMICS__)
#include <stdatomic.h>
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "sup shm needs lock-free 64-bit atomics");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "sup shm needs lock-free 32-bit atomics");
#endif
#endif

SUP_SHM_STATIC_ASSERT(sizeof(sup_status_header) == 128, "status header layout");
SUP_SHM_STATIC_ASSERT(offsetof(sup_status_header, supd_pid) == 24, "status header layout");
SUP_SHM_STATIC_ASSERT(offsetof(sup_status_header, generation) == 40, "status header layout");
SUP_SHM_STATIC_ASSERT(offsetof(sup_status_header, retired) == 48, "status header layout");
SUP_SHM_STATIC_ASSERT(offsetof(sup_status_header, slots_used) == 52, "status header layout");
SUP_SHM_STATIC_ASSERT(offsetof(sup_status_header, supd_start_ticks) == 64, "status header layout");
SUP_SHM_STATIC_ASSERT(sizeof(sup_status_slot_data) == 264, "slot data layout");
SUP_SHM_STATIC_ASSERT(sizeof(sup_status_slot_data) % 8 == 0, "slot data is whole words");
SUP_SHM_STATIC_ASSERT(offsetof(sup_status_slot_data, pid) == 16, "slot data layout");
SUP_SHM_STATIC_ASSERT(offsetof(sup_status_slot_data, exit_code) == 48, "slot data layout");
SUP_SHM_STATIC_ASSERT(offsetof(sup_status_slot_data, captured_bytes) == 80, "slot data layout");
SUP_SHM_STATIC_ASSERT(offsetof(sup_status_slot_data, name) == 96, "slot data layout");
SUP_SHM_STATIC_ASSERT(offsetof(sup_status_slot_data, counter_page) == 176, "slot data layout");
SUP_SHM_STATIC_ASSERT(offsetof(sup_status_slot_data, pid_start_ticks) == 240, "slot data layout");
SUP_SHM_STATIC_ASSERT(offsetof(sup_status_slot_data, stop_timeout_ms) == 256, "slot data layout");
SUP_SHM_STATIC_ASSERT(sizeof(sup_status_slot) == 272, "slot layout");
SUP_SHM_STATIC_ASSERT(offsetof(sup_status_slot, data) == 8, "slot layout");
SUP_SHM_STATIC_ASSERT(sizeof(sup_counter_page_header) == 64, "counter header layout");
SUP_SHM_STATIC_ASSERT(offsetof(sup_counter_page_header, count) == 24, "counter header layout");
SUP_SHM_STATIC_ASSERT(offsetof(sup_counter_page_header, heartbeat_ns) == 32, "counter header layout");
SUP_SHM_STATIC_ASSERT(sizeof(sup_counter_entry) == 64, "counter entry layout");
SUP_SHM_STATIC_ASSERT(offsetof(sup_counter_entry, name) == 8, "counter entry layout");
SUP_SHM_STATIC_ASSERT(offsetof(sup_counter_entry, value) == 56, "counter entry layout");
SUP_SHM_STATIC_ASSERT(sizeof(sup_counter_page) == 64 + 64 * 64, "counter page layout");
#undef SUP_SHM_STATIC_ASSERT

#endif /* SUP_STATUS_SHM_H_ */
