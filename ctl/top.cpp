#include "ctl/top.h"

#include <iostream>

#include "ctl/exit_codes.h"
#include "status/segment_reader.h"

namespace sup::ctl {

int TopExitCode(const Error& e) {
  switch (e.code) {
    case ErrorCode::kNotFound: return kExitUnreachable;
    case ErrorCode::kPermission: return kExitPermission;
    default: return kExitFailed;
  }
}

std::string RenderTop(const daemon::Snapshot& snap, const CountersBySlot& counters,
                      std::uint64_t now_mono_ns, std::size_t width, const UsageBySlot& usage) {
  std::string out(width > 0 ? FitColumns(TopHeadline(snap, now_mono_ns), width)
                            : TopHeadline(snap, now_mono_ns));
  out += '\n';
  for (const auto& line : LayoutTable(TopRows(snap, counters, now_mono_ns, usage), width, false)) {
    out += line;
    out += '\n';
  }
  return out;
}

int PrintTopSnapshot(const std::string& shm_name, std::ostream& out, std::size_t width) {
  auto snap = daemon::ReadNamedSegment(shm_name);
  if (!snap) {
    std::cerr << "supctl top: " << snap.error().Message() << "\n";
    return TopExitCode(snap.error());
  }
  out << RenderTop(*snap, ReadAllCounters(*snap), MonoNowNs(), width, ReadAllUsage(*snap)) << std::flush;
  return kExitOk;
}

}  // namespace sup::ctl
