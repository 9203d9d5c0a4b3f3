// The sup config an import produces, as plain values ready to be written (toml_writer.h), and
// the warnings gathered on the way. Strings here are already in sup's syntax: ${X} references
// and `$$` escapes are in place.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sup::ctl::import {

// One thing of the supervisord file that was not carried over as it was, at its line.
struct Warning {
  std::string file;
  int line = 0;
  std::string message;

  std::string ToString() const;  // "FILE:LINE: message"
};

struct OutLog {
  std::string file;  // "" = no file
  std::optional<std::uint64_t> max_size;
  std::optional<int> backups;
  std::optional<bool> forward;
  bool merge = false;  // stderr only
  bool auto_file = false;  // supervisord's AUTO: named after the program once its name is known
  std::string source_file;  // where `file` came from (the *_logfile key), for warnings
  int source_line = 0;
};

struct OutProgram {
  std::string name;
  std::string origin;  // "[program:web]", written as a comment above the table
  std::vector<std::string> argv;
  bool shell = false;
  std::string shell_command;  // with shell
  std::string directory;
  std::string user;
  std::string user_comment;  // a user that cannot be set here: written commented out
  std::string umask;
  std::vector<std::pair<std::string, std::string>> environment;
  int instances = 1;
  std::optional<bool> autostart;
  std::optional<std::string> restart;
  std::optional<std::vector<int>> exit_codes;
  std::optional<int> start_seconds;
  std::optional<int> start_retries;
  std::optional<int> start_limit_burst;
  std::optional<int> backoff_initial_seconds;  // 0: supervisord restarts a program after startsecs for ever
  std::optional<int> priority;
  std::optional<std::string> stop_signal;
  std::optional<int> stop_timeout;
  std::optional<bool> kill_group;
  bool on_fatal_shutdown = false;
  std::string on_fatal_comment;  // why: the [eventlistener:x] that ended supervisord
  std::string supervisord_name;  // the [program:x] it came from, for event listeners
  OutLog stdout_log;
  OutLog stderr_log;
};

struct OutGroup {
  std::string name;
  std::string origin;
  std::vector<std::string> programs;
};

struct OutSupervisor {
  std::string socket;
  std::string socket_mode;
  std::string socket_group;
  std::string socket_group_comment;  // a group that does not exist here: commented out
  std::string logs_dir;
};

struct OutConfig {
  std::string source;  // the main file, for the header comment
  OutSupervisor supervisor;
  std::vector<OutProgram> programs;
  std::vector<OutGroup> groups;
};

}  // namespace sup::ctl::import
