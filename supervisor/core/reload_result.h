// What a reload (SPEC §6 "Reload") answers, as values: the plan it applied (or would apply,
// --dry-run) and the start outcomes it waited for, or why nothing changed. The control socket
// renders it (control/reload_reply.h); SIGHUP has no receiver, only the log.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/wait_result.h"
#include "sup/conf/diff.h"

namespace sup::daemon {

struct ReloadResult {
  conf::ReloadPlan plan;
  // One result per instance the reload started or restarted and waited for; none for a dry
  // run or when it started nothing.
  std::optional<std::vector<WaitResult>> instances;
};

struct ReloadRefusal {
  enum class Reason { kShuttingDown, kConfigErrors, kFailed };
  Reason reason = Reason::kFailed;
  std::string message;
  std::vector<std::string> errors;  // kConfigErrors: one line per error, file:line first
};

class ReloadReceiver {
 public:
  virtual ~ReloadReceiver() = default;
  // Exactly one of these is called, once.
  virtual void OnApplied(ReloadResult result) = 0;
  virtual void OnRefused(ReloadRefusal refusal) = 0;
  // While the reload waits for its starts: false once nobody is left to tell.
  virtual bool open() const = 0;
  virtual void OnCancel(std::function<void()> fn) = 0;
};

}  // namespace sup::daemon
