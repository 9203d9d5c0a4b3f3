// Per-instance expansion (SPEC §3 "Details"): turns a ProgramSpec, whose command, directory,
// environment values, log files and health targets still hold ${SUP_PROGRAM}, ${SUP_INSTANCE},
// ${SUP_INSTANCE+N} and `$$` escapes, into the concrete values for one instance.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "sup/conf/config.h"

namespace sup::conf {

struct InstanceSpec {
  std::string name;  // "web" when instances == 1, else "web:0" .. "web:N-1"
  int index = 0;
  std::vector<std::string> argv;
  std::string directory;
  std::vector<std::pair<std::string, std::string>> environment;  // the program's `environment`
  std::string stdout_file, stderr_file;  // absolute (relative ones joined to logs_dir); "" = none
  std::vector<std::string> health_exec;
  std::string health_tcp, health_http;
};

InstanceSpec ForInstance(const ProgramSpec& p, int index, const SupervisorSpec& s);

// A log `file` as supd opens it: relative names resolve in `s.logs_dir`; "" stays "".
std::string ResolveLogFile(const std::string& file, const SupervisorSpec& s);

// "web" for a single-instance program, else "web:INDEX".
std::string InstanceName(const ProgramSpec& p, int index);

// Expands one placeholder-holding string of `p` for instance `index` (and turns `$$` into `$`).
// The loader has validated every placeholder, so this cannot fail.
std::string ExpandForInstance(const std::string& text, const std::string& program, int index);

}  // namespace sup::conf
