/* A worker written against libsupagent: announces readiness, publishes a status line, counts
 * the "requests" it serves, reports a queue-depth gauge, and pings the watchdog both ways
 * (heartbeat on the counter page, WATCHDOG=1 over sd_notify). Runs unchanged outside sup.
 * Usage: example_worker [ITERATIONS]   (default 10, 0 = until SIGTERM/SIGINT) */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sup/agent.h"

static volatile sig_atomic_t stop_requested = 0;

static void OnStop(int sig) {
  (void)sig;
  stop_requested = 1;
}

int main(int argc, char** argv) {
  long iterations = argc > 1 ? strtol(argv[1], NULL, 10) : 10;
  struct sigaction sa;
  sa.sa_handler = OnStop;
  sa.sa_flags = 0;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  sup_counter_t* requests = sup_counter("requests_total");
  sup_counter_t* bytes = sup_counter("bytes_total");
  sup_counter_t* queue = sup_gauge("queue_depth");
  if (!sup_agent_has_counters()) fprintf(stderr, "example_worker: no counter page (not under supd)\n");

  sup_notify_status("warming up");
  sup_notify_ready();
  sup_notify_status("serving");

  for (long i = 0; !stop_requested && (iterations == 0 || i < iterations); ++i) {
    sup_counter_add(requests, 1);
    sup_counter_add(bytes, 512);
    sup_gauge_set(queue, (int64_t)(i % 7));
    sup_heartbeat();
    sup_notify_watchdog();
    struct timespec nap = {0, 100 * 1000 * 1000};
    nanosleep(&nap, NULL);
  }

  sup_notify_stopping();
  printf("example_worker: done\n");
  return 0;
}
