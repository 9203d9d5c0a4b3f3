// Turns a parsed supervisord config (main file and includes) into the sup config it means:
// one pass per kind of section, every key either carried over or reported as a Warning.
// Internal to the importer (importer.h is the entry point); split over convert*.cpp.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ctl/import/ini.h"
#include "ctl/import/model.h"
#include "ctl/import/template.h"
#include "sup/conf/config.h"

namespace sup::ctl::import {

struct ImportOptions {
  conf::Environment env;  // supd's environment as far as the import knows it (for ENV_X)
  uid_t euid = 0;         // the uid supd will run as: `user` needs root
  std::string hostname;   // %(host_node_name)s
};

class Converter {
 public:
  // `doc` and `options` must outlive the Converter. `files` lists the main file first.
  Converter(const IniDocument& doc, std::vector<std::string> files, const ImportOptions& options);

  OutConfig Run();
  // Warnings found before the conversion (reading the [include] files).
  void AddWarning(Warning w) { warnings_.push_back(std::move(w)); }
  // Sorted by file (main file first) and line.
  std::vector<Warning> TakeWarnings();

 private:
  friend class ProgramBuilder;  // convert_program.cpp: one [program:x]

  // [supervisord] keys that programs inherit (children inherit supervisord's own settings).
  struct Inherited {
    std::vector<std::pair<std::string, Template>> environment;
    const IniEntry* environment_entry = nullptr;
    std::string user, user_comment, umask, directory;
  };

  // convert.cpp
  void Supervisord(const IniSection& s);
  void UnixHttpServer(const IniSection& s);
  void NotCarried(const IniSection& s, const std::string& why);
  void ScanGroups();
  void Groups();
  void FillPriorities();
  void UniqueLogFiles();
  std::string ClaimName(const std::string& wanted, const IniSection& s);

  // convert_program.cpp
  void Program(const IniSection& s);
  // convert_listener.cpp
  void EventListeners();

  // convert_values.cpp: supervisord's datatypes. Each warns and returns nullopt on a bad value.
  Scope BaseScope(const IniEntry& e) const;
  std::optional<std::string> Scalar(const IniEntry& e, const Scope& scope);
  std::optional<bool> Bool(const IniEntry& e, const Scope& scope);
  std::optional<long long> Integer(const IniEntry& e, const Scope& scope, long long min, long long max);
  std::optional<std::uint64_t> Bytes(const IniEntry& e, const Scope& scope);
  std::optional<std::string> Octal(const IniEntry& e, const Scope& scope);
  // A template in sup's string syntax; process_num as ${SUP_INSTANCE+first}.
  std::optional<std::string> Render(const Template& t, const IniEntry& e, long long first);
  std::optional<std::string> User(const IniEntry& e, const Scope& scope, std::string& commented);
  void Warn(const IniEntry& e, const std::string& message);
  void Warn(const std::string& file, int line, const std::string& message);

  const IniDocument& doc_;
  std::vector<std::string> files_;
  const ImportOptions& options_;
  OutConfig out_;
  std::vector<Warning> warnings_;
  Inherited inherited_;
  std::map<std::string, Template> supervisord_env_names_;  // ENV_X set by [supervisord] environment
  std::map<std::string, std::string> group_of_;             // program (supervisord name) -> group
  std::map<std::string, std::vector<std::string>> sup_names_;  // program (supervisord name) -> sup names
  std::set<std::string> explicit_priority_;                 // sup names with a priority of their own
  std::set<std::string> taken_;
  std::vector<const IniSection*> listeners_;                 // [eventlistener:x], read after the programs                             // program and group names in use
};

// [A-Za-z0-9_][A-Za-z0-9_.-]{0,63}: other characters become '_'.
std::string SanitizeName(const std::string& name);

}  // namespace sup::ctl::import
