// Loading a sup.toml: TOML text (plus its includes) -> a validated Config, or every error
// found, each with file:line:col. Pure: reads files, passwd and group, nothing else; safe to
// call from any thread (supd reloads on a libuv worker thread).
#pragma once

#include <sys/types.h>

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sup/conf/config.h"

namespace sup::conf {

struct ConfigError {
  SourcePos pos;
  std::string message;

  // "FILE:LINE:COL: message"; ":LINE:COL" is left out when the position is unknown (line 0).
  std::string ToString() const;
};

// `config` is set iff `errors` is empty.
struct LoadResult {
  std::optional<Config> config;
  std::vector<ConfigError> errors;
};

// `uid` is supd's effective uid: it picks the defaults (socket, logs_dir) and decides whether
// `user`/`group` are allowed (they need root).
LoadResult LoadFile(const std::string& path, const Environment& env, uid_t uid);

// As LoadFile, for text already in memory; `path_label` names it in errors, and relative
// `include` globs resolve in its directory.
LoadResult LoadString(std::string_view text, const std::string& path_label, const Environment& env,
                      uid_t uid);

// A copy of this process's environ.
Environment CurrentEnvironment();

// root: /run/sup/sup.sock; else $XDG_RUNTIME_DIR/sup/sup.sock, else /tmp/sup-<uid>/sup.sock.
std::string DefaultSocketPath(uid_t uid, const Environment& env);

// The status segment's name when `status_shm` is not set (SPEC §9.1): "/sup" for root's default
// socket /run/sup/sup.sock, otherwise "/sup-" and 8 hex digits of the 32-bit FNV-1a hash of the
// socket's absolute, lexically normalised path, so that two supd with different sockets never
// share a segment. supctl derives the same name from the socket it uses.
std::string DefaultStatusShm(const std::string& socket);

// root: /var/log/sup; else $XDG_STATE_HOME/sup/log, else $HOME/.local/state/sup/log.
std::string DefaultLogsDir(uid_t uid, const Environment& env);

// -c, else $SUP_CONFIG, else /etc/sup/sup.toml.
std::string ResolveConfigPath(const std::optional<std::string>& flag, const Environment& env);

// `supd --check` and `supctl check`: every error goes to `err` (one ToString() a line); when the
// config is valid, "FILE: ok (N programs, M groups)" goes to `out`. Returns 0 valid, 2 invalid.
int RunCheck(const std::string& path, const Environment& env, uid_t uid, std::ostream& out,
             std::ostream& err);

}  // namespace sup::conf
