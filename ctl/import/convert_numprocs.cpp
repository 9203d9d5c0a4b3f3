// One [program:x] -> one sup program (instances = numprocs), or one program per process plus a
// group when a value differs per process in a way ${SUP_INSTANCE} cannot write.
#include <utility>

#include "ctl/import/program_builder.h"

namespace sup::ctl::import {
namespace {

// supervisord's AUTO log files live in childlogdir, one per process and stream; sup's relative
// file names resolve in logs_dir (childlogdir, when the config sets it).
void NameAutoLogFiles(OutProgram& p) {
  for (auto [log, stream] : {std::pair<OutLog*, const char*>{&p.stdout_log, "stdout"}, {&p.stderr_log, "stderr"}}) {
    if (!log->auto_file) continue;
    log->file = p.name + (p.instances > 1 ? "-${SUP_INSTANCE}" : "") + "-" + stream + ".log";
  }
}

}  // namespace

void Converter::Program(const IniSection& s) {
  const std::string name = s.name.substr(s.name.find(':') + 1);
  if (name.find_first_of(" :/") != std::string::npos || name.empty())
    Warn(s.file, s.line, "[" + s.name + "]: supervisord refuses a name with a space, ':' or '/'");
  long long numprocs = 1, first = 0;
  const IniEntry* numprocs_entry = s.Find("numprocs");
  if (numprocs_entry) numprocs = Integer(*numprocs_entry, BaseScope(*numprocs_entry), 0, 100'000).value_or(1);
  if (const IniEntry* e = s.Find("numprocs_start"))
    first = Integer(*e, BaseScope(*e), -1'000'000, 1'000'000).value_or(0);
  if (numprocs == 0) {
    Warn(*numprocs_entry, "0: supervisord starts no process of [" + s.name + "]; left out");
    return;
  }
  const IniEntry default_name{"process_name", "%(program_name)s", s.file, s.line};
  const IniEntry& process_name = s.Find("process_name") ? *s.Find("process_name") : default_name;
  auto process_name_for = [&](long long index) {
    Scope scope = BaseScope(process_name);
    scope.names["program_name"] = Text(name);
    scope.names["group_name"] = Text(group_of_.count(name) ? group_of_[name] : name);
    scope.names["numprocs"] = Text(std::to_string(numprocs));
    scope.names["process_num"] = Text(std::to_string(index));
    return Scalar(process_name, scope).value_or(name);
  };

  // With one process, process_num is a constant: written as its text, whatever its format.
  ProgramBuilder whole(*this, s, numprocs == 1 ? std::optional<long long>(first) : std::nullopt, numprocs, first);
  whole.Build();
  if (whole.skip) return;
  if (!whole.needs_unroll) {
    OutProgram p = std::move(whole.program);
    p.name = ClaimName(name, s);
    p.instances = static_cast<int>(numprocs);
    p.supervisord_name = name;
    NameAutoLogFiles(p);
    if (whole.explicit_priority) explicit_priority_.insert(p.name);
    const std::string first_name = process_name_for(first);
    if (numprocs > 1) {
      Warn(process_name.file, process_name.line,
           "process_name: sup names the " + std::to_string(numprocs) + " processes " + p.name + ":0 … " +
               p.name + ":" + std::to_string(numprocs - 1) + " (supervisord: " + first_name + " …)");
    } else if (first_name != name) {
      Warn(process_name.file, process_name.line, "process_name: sup names the process " + p.name +
                                                     " (supervisord: " + first_name + ")");
    }
    sup_names_[name] = {p.name};
    out_.programs.push_back(std::move(p));
    return;
  }
  // One program per process: each gets the values of its own process_num.
  std::vector<std::string> names;
  for (long long index = first; index < first + numprocs; ++index) {
    ProgramBuilder one(*this, s, index, numprocs, first);
    one.Build();
    if (one.skip) continue;
    OutProgram p = std::move(one.program);
    p.name = ClaimName(process_name_for(index), s);
    p.supervisord_name = name;
    NameAutoLogFiles(p);
    if (one.explicit_priority) explicit_priority_.insert(p.name);
    names.push_back(p.name);
    out_.programs.push_back(std::move(p));
  }
  if (names.empty()) return;
  sup_names_[name] = names;
  std::string where = "written as " + std::to_string(names.size()) + " programs (" + names.front() +
                      (names.size() > 1 ? " … " + names.back() : "") + ")";
  if (!group_of_.count(name)) {
    OutGroup g{ClaimName(name, s), "[" + s.name + "]", names};
    where += " and [group." + g.name + "]";
    out_.groups.push_back(std::move(g));
  }
  Warn(numprocs_entry ? numprocs_entry->file : s.file, numprocs_entry ? numprocs_entry->line : s.line,
       "numprocs: a value of [" + s.name + "] uses %(process_num) in a way ${SUP_INSTANCE} cannot write "
       "(zero padding, or a key sup reads once per program): " + where);
}

}  // namespace sup::ctl::import
