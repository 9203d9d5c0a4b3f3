// One [program:x] section read into one sup program, key by key: with process_num kept as
// ${SUP_INSTANCE} (`index` unset), or for the one process `index`. Used by Converter::Program
// (convert_numprocs.cpp), which decides between instances and one program per process.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ctl/import/convert.h"

namespace sup::ctl::import {

class ProgramBuilder {
 public:
  // `c` and `s` must outlive the builder; warnings go to `c` as they are found.
  ProgramBuilder(Converter& c, const IniSection& s, std::optional<long long> index, long long numprocs,
                 long long first);

  void Build();

  OutProgram program;
  bool needs_unroll = false;  // a value differs per process in a way ${SUP_INSTANCE} cannot say
  bool skip = false;          // nothing runnable (no command): the program is left out
  bool explicit_priority = false;

 private:
  Scope ScopeFor(const IniEntry& e, bool with_program_env) const;
  // A value sup expands per instance (command, directory, environment, log files).
  // `padding_ok`: a zero-padded %(process_num) is written as ${SUP_INSTANCE} (a log file's name)
  // rather than making one program per process.
  std::optional<Template> PerInstance(const IniEntry& e, bool with_program_env = true, bool padding_ok = false);
  // The scope for a key sup reads once per program; nullopt when its value differs per process.
  std::optional<Scope> Single(const IniEntry& e);
  void Environment();
  bool Command();
  void Key(const IniEntry& e, bool& redirect);
  void ExitCodes(const IniEntry& e, const Scope& scope);
  void KillGroup();
  void Log(const std::string& stream, OutLog& log, bool redirected);
  static bool IsKeyword(const IniEntry& e);

  Converter& c_;
  const IniSection& s_;
  std::optional<long long> index_;
  long long numprocs_, first_;
  std::string name_, group_;
  std::vector<std::pair<std::string, Template>> env_;      // inherited and own
  std::vector<std::pair<std::string, Template>> own_env_;  // this section's: ENV_X in its values
  std::optional<bool> stop_as_group_, kill_as_group_;
};

}  // namespace sup::ctl::import
