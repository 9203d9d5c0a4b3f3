// Reloader: `supctl reload` and SIGHUP (SPEC §6 "Reload"). Loads the config file off the
// loop (uv_queue_work: conf::LoadFile is pure), then on the loop thread either refuses with
// the errors (nothing changes), answers with the plan (--dry-run), or applies it and answers
// once its starts have an outcome. Answers are ReloadResult values; the control socket renders
// them (control/reload_reply.h). One reload at a time: a request that arrives meanwhile runs
// after it.
#pragma once

#include <uv.h>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/reload_result.h"
#include "core/supervisor.h"
#include "sup/conf/loader.h"

namespace sup::daemon {

class Reloader {
 public:
  struct Options {
    std::string path;              // the config file supd was started with
    conf::Environment env;         // supd's environment at start-up
    std::optional<std::vector<std::string>> main_command;  // `-- CMD`: kept as "main"
    // Applies [supervisor] allow_users/allow_groups; returns an error text or "".
    std::function<std::string(const conf::SupervisorSpec&)> apply_access;
  };

  Reloader(uv_loop_t& loop, Supervisor& supervisor, Options options);
  ~Reloader();
  Reloader(const Reloader&) = delete;
  Reloader& operator=(const Reloader&) = delete;

  // `receiver` may be null (SIGHUP): the outcome is only logged.
  void Request(std::shared_ptr<ReloadReceiver> receiver, bool dry_run);

  // The plan in one log line: "added a, b; restarted c (command)".
  static std::string PlanSummary(const conf::ReloadPlan& plan);

 private:
  struct Pending {
    std::shared_ptr<ReloadReceiver> receiver;
    bool dry_run = false;
  };
  struct Work;  // one load in flight on the thread pool

  void StartNext();
  // Answers once every instance the plan starts or restarts is up (or failed, or 60 s).
  void WaitForStarts(conf::ReloadPlan plan, std::shared_ptr<ReloadReceiver> receiver);
  void Finish(Work& work);

  uv_loop_t& loop_;
  Supervisor& supervisor_;
  Options options_;
  std::deque<Pending> queue_;
  Work* in_flight_ = nullptr;  // owned by libuv's request until its after-work callback
};

}  // namespace sup::daemon
