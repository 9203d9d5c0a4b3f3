/* libsupagent: what a worker links to talk to the supd that runs it: sd_notify messages
 * (readiness, status, watchdog) and the per-instance counter page (counters, gauges, heartbeat).
 * Outside a supervisor (no $NOTIFY_SOCKET, no valid $SUP_COUNTERS_FD) every call is a harmless
 * no-op. Nothing here throws, logs, or allocates; every function may be called from any thread.
 */
#ifndef SUP_AGENT_H_
#define SUP_AGENT_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define SUP_AGENT_API __attribute__((visibility("default")))
#else
#define SUP_AGENT_API
#endif

/* A counter or gauge on this process's counter page. Opaque; lives as long as the process. */
typedef struct sup_counter sup_counter_t;

/* Registers `name` (<= 47 bytes, [a-zA-Z_:][a-zA-Z0-9_:]*) as a monotonic counter, or returns
 * the counter already registered under that name (by any thread, or by an earlier run of the
 * same instance: a page lives as long as the instance, so counters survive restarts).
 * Returns NULL and sets errno on failure:
 *   EINVAL  bad name;  ENOSPC  the page already holds 64 names;
 *   EEXIST  the name is registered as a gauge;
 *   ENODEV  no valid page ($SUP_COUNTERS_FD unset or not a sup counter page).
 * NULL is accepted by every function below (a no-op), so callers may ignore failures.
 * The first call maps the page (mmap); later calls make no system call. */
SUP_AGENT_API sup_counter_t* sup_counter(const char* name);

/* As sup_counter(), for a gauge (a value that goes up and down; EEXIST if it is a counter). */
SUP_AGENT_API sup_counter_t* sup_gauge(const char* name);

/* counter += delta: one relaxed atomic fetch-add, no system call, no lock. */
SUP_AGENT_API void sup_counter_add(sup_counter_t* counter, uint64_t delta);

/* gauge = value: one relaxed atomic store. Works on a counter too (resets it). */
SUP_AGENT_API void sup_gauge_set(sup_counter_t* gauge, int64_t value);

/* Stores CLOCK_MONOTONIC now into the page: feeds `watchdog` like WATCHDOG=1 does. The clock is
 * read through the vDSO: no system call. A no-op without a page. */
SUP_AGENT_API void sup_heartbeat(void);

/* 1 when a valid counter page is mapped (counters are visible to supd), else 0. */
SUP_AGENT_API int sup_agent_has_counters(void);

/* sd_notify: sends `msg` ("READY=1", "STATUS=busy\nWATCHDOG=1", ...) as one datagram to
 * $NOTIFY_SOCKET (a path, or an abstract name starting with '@').
 * Returns 1 when sent, 0 when $NOTIFY_SOCKET is unset (not supervised), -errno on failure,
 * exactly like systemd's sd_notify(), so programs written for systemd port over unchanged. */
SUP_AGENT_API int sup_notify(const char* msg);
SUP_AGENT_API int sup_notify_ready(void);               /* READY=1 */
SUP_AGENT_API int sup_notify_status(const char* text);  /* STATUS=text (supd keeps 256 bytes) */
SUP_AGENT_API int sup_notify_watchdog(void);            /* WATCHDOG=1 */
SUP_AGENT_API int sup_notify_stopping(void);            /* STOPPING=1 */
SUP_AGENT_API int sup_notify_reloading(void);           /* RELOADING=1 (not ready until READY=1) */

/* Sends BARRIER=1 with a pipe's write end and waits until the supervisor has closed it, i.e.
 * has read every message sent before. timeout_ms < 0 waits forever. Returns 1 when the barrier
 * passed, 0 when not supervised, -ETIMEDOUT or another -errno on failure. */
SUP_AGENT_API int sup_notify_barrier(int timeout_ms);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SUP_AGENT_H_ */
