// The loader's internal stages: reading one parsed TOML file into a Config under construction
// (document.cpp, parse_program.cpp), then the whole-config checks (validate.cpp).
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "sup/conf/loader.h"
#include "table_reader.h"

namespace sup::conf {

// Where a program's keys were written, for the cross-program checks' messages. Keys: "header",
// "command", "user", "group", "instances", "restart", "environment", "stdout.file",
// "stderr.file", "depends_on", "depends_on.NAME".
struct ProgramSource {
  std::map<std::string, SourcePos> pos;
  SourcePos At(const std::string& key) const;  // falls back to "header"
};

// Everything a load accumulates; programs[i] was read from sources[i].
struct LoadState {
  LoadState(const Environment& e, uid_t u) : env(e), uid(u) {}
  const Environment& env;
  uid_t uid;
  Config config;
  std::vector<ProgramSource> sources;
  std::vector<SourcePos> group_pos;  // parallel to config.groups
  SourcePos supervisor_pos;
  ProgramSource supervisor_keys;  // the same kind of map, for [supervisor]'s keys
  bool socket_set = false;
  bool status_shm_set = false;  // status_shm given ("" included): no default derived
  bool socket_mode_set = false;
  bool logs_dir_set = false;
  std::vector<ConfigError> errors;
};

// Reads one parsed file. Only the main file may hold [supervisor].
void ReadDocument(const toml::table& root, const std::string& file, bool is_main, LoadState& state);

// Reads one [program.NAME] table into `p` (whose name and pos are already set).
void ReadProgram(TableReader& r, ProgramSpec& p, ProgramSource& src);

// Fills the uid-dependent defaults of [supervisor]; `config_dir` anchors a relative logs_dir.
void ApplySupervisorDefaults(LoadState& state, const std::string& config_dir);

// The checks that need the whole config: names, dependencies, groups, users, log files.
void Validate(LoadState& state);

}  // namespace sup::conf
