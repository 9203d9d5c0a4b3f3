// Every section but [program:x] (convert_program.cpp): [supervisord] and [unix_http_server]
// feed [supervisor] and what programs inherit, [group:x] becomes [group.x], the rest of
// supervisord's sections have no sup equivalent and are reported key by key.
#include <grp.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <map>

#include "ctl/import/convert.h"
#include "ctl/import/words.h"

namespace sup::ctl::import {
namespace {

bool GroupExists(const std::string& name) {
  std::vector<char> buf(16384);
  group gr{};
  group* found = nullptr;
  return getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found) == 0 && found != nullptr;
}

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// supervisord's list_of_strings: comma-separated, each trimmed (empty ones dropped here).
std::vector<std::string> ListOfStrings(const std::string& text) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    std::string item = Trim(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (!item.empty()) items.push_back(std::move(item));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return items;
}

// Length of the UTF-8 sequence starting with byte `c` (1 for a stray byte).
size_t SequenceLength(unsigned char c) {
  if ((c & 0xE0) == 0xC0) return 2;
  if ((c & 0xF0) == 0xE0) return 3;
  if ((c & 0xF8) == 0xF0) return 4;
  return 1;
}

}  // namespace

std::string SanitizeName(const std::string& name) {
  std::string out;
  for (size_t i = 0; i < name.size();) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    const bool ok = std::isalnum(c) || c == '_' || ((c == '.' || c == '-') && !out.empty());
    out += ok ? static_cast<char>(c) : '_';
    i += ok ? 1 : std::min(SequenceLength(c), name.size() - i);
  }
  if (out.empty()) out = "program";
  if (out.size() > 64) out.resize(64);
  return out;
}

Converter::Converter(const IniDocument& doc, std::vector<std::string> files, const ImportOptions& options)
    : doc_(doc), files_(std::move(files)), options_(options) {}

std::vector<Warning> Converter::TakeWarnings() {
  auto rank = [&](const std::string& file) {
    return std::find(files_.begin(), files_.end(), file) - files_.begin();
  };
  std::stable_sort(warnings_.begin(), warnings_.end(), [&](const Warning& a, const Warning& b) {
    const auto ra = rank(a.file), rb = rank(b.file);
    return ra != rb ? ra < rb : a.line < b.line;
  });
  return std::move(warnings_);
}

OutConfig Converter::Run() {
  out_.source = files_.empty() ? "" : files_.front();
  if (const IniSection* s = doc_.Find("supervisord")) Supervisord(*s);
  if (const IniSection* s = doc_.Find("unix_http_server")) UnixHttpServer(*s);
  ScanGroups();
  for (const auto& s : doc_.sections) {
    const std::string kind = s.name.substr(0, s.name.find(':'));
    const bool named = s.name.find(':') != std::string::npos;
    if (s.name == "supervisord" || s.name == "unix_http_server" || (named && kind == "group")) continue;
    if (named && kind == "program") {
      Program(s);
    } else if (s.name == "include") {
      for (const auto& e : s.entries)
        if (e.key != "files") Warn(e, "[include] reads only `files`; ignored");
    } else if (kind == "inet_http_server") {
      NotCarried(s, "sup has no TCP control interface ([supervisor] http = \"host:port\" serves read-only "
                    "/metrics, /healthz and /readyz); not carried over");
    } else if (kind == "supervisorctl") {
      NotCarried(s, "supctl finds supd's socket with -s or $SUP_SOCKET; not carried over");
    } else if (named && (kind == "rpcinterface" || kind == "ctlplugin")) {
      NotCarried(s, "sup's control protocol is built in (docs/protocol.md); not carried over");
    } else if (named && kind == "eventlistener") {
      listeners_.push_back(&s);  // once every program is known: EventListeners()
    } else if (named && kind == "fcgi-program") {
      Warn(s.file, s.line, "[" + s.name + "]: supd opens no sockets for its programs; the section is not "
                           "carried over");
    } else if (s.name == "DEFAULT") {
      NotCarried(s, "configparser copies [DEFAULT] keys into every section, the import does not: add it "
                    "where it is needed");
    } else {
      Warn(s.file, s.line, "[" + s.name + "]: not a supervisord section; ignored, as supervisord ignores it");
    }
  }
  EventListeners();
  Groups();
  FillPriorities();
  UniqueLogFiles();
  return std::move(out_);
}

void Converter::NotCarried(const IniSection& s, const std::string& why) {
  for (const auto& e : s.entries) Warn(e, why);
}

void Converter::Supervisord(const IniSection& s) {
  const IniEntry* environment = nullptr;
  for (const auto& e : s.entries) {
    const Scope scope = BaseScope(e);
    const std::string& k = e.key;
    auto text = [&]() -> std::optional<std::string> {
      Expanded x = Interpolate(e.value, scope);
      if (!x.error.empty()) {
        Warn(e, "`" + e.value + "`: " + x.error + " (supervisord refuses it); not carried over");
        return std::nullopt;
      }
      return Render(x.value, e, 0);
    };
    if (k == "environment") {
      environment = &e;
    } else if (k == "childlogdir") {
      if (auto dir = text()) out_.supervisor.logs_dir = *dir;
    } else if (k == "user") {
      if (auto user = User(e, scope, inherited_.user_comment)) inherited_.user = *user;
      const std::string name = !inherited_.user.empty() ? inherited_.user : inherited_.user_comment;
      if (!name.empty())
        Warn(e, "supd runs as whoever starts it; programs without a user of their own get user = \"" + name + "\"");
    } else if (k == "umask") {
      if (auto mode = Octal(e, scope)) inherited_.umask = mode->substr(1);
    } else if (k == "directory") {
      if (auto dir = text()) {
        inherited_.directory = *dir;
        Warn(e, "supd changes no directory; programs without a directory of their own get directory = \"" +
                    *dir + "\"");
      }
    } else if (k == "nodaemon") {
      if (!Bool(e, scope).value_or(true))
        Warn(e, "supd never daemonizes: run it from systemd or as a container's entrypoint");
    } else if (k == "logfile" || k == "logfile_maxbytes" || k == "logfile_backups" || k == "loglevel") {
      Warn(e, "supd logs its own events to stderr (--log-level, --log-format json); not carried over");
    } else if (k == "pidfile") {
      Warn(e, "supd writes no pid file (`supctl pid` prints its pid); not carried over");
    } else if (k == "minfds" || k == "minprocs") {
      Warn(e, std::string("supd raises no limit for its programs: set limits.") +
                  (k == "minfds" ? "nofile" : "nproc") + " on the programs that need it; not carried over");
    } else if (k == "silent" || k == "nocleanup" || k == "strip_ansi") {
      if (Bool(e, scope).value_or(false)) Warn(e, "no sup equivalent; not carried over");
    } else if (k == "identifier") {
      Warn(e, "no sup equivalent; not carried over");
    } else {
      Warn(e, "not a supervisord [supervisord] key; ignored, as supervisord ignores it");
    }
  }
  if (environment == nullptr) return;
  Expanded x = Interpolate(environment->value, BaseScope(*environment));
  EnvPairs pairs = x.error.empty() ? ParseEnvPairs(x.value) : EnvPairs{{}, {}, x.error};
  if (!pairs.error.empty()) {
    Warn(*environment, pairs.error + " (supervisord refuses it); not carried over");
    return;
  }
  for (const auto& word : pairs.skipped)
    Warn(*environment, "`" + word + "` is skipped, as supervisord skips it: quote values that hold spaces");
  inherited_.environment = pairs.pairs;
  inherited_.environment_entry = environment;
  for (const auto& [key, value] : pairs.pairs) supervisord_env_names_["ENV_" + key] = value;
}

void Converter::UnixHttpServer(const IniSection& s) {
  for (const auto& e : s.entries) {
    const Scope scope = BaseScope(e);
    if (e.key == "file") {
      Expanded x = Interpolate(e.value, scope);
      if (!x.error.empty()) {
        Warn(e, "`" + e.value + "`: " + x.error + " (supervisord refuses it); not carried over");
      } else if (auto path = Render(x.value, e, 0)) {
        out_.supervisor.socket = Trim(*path);
      }
    } else if (e.key == "chmod") {
      if (auto mode = Octal(e, scope)) out_.supervisor.socket_mode = *mode;
    } else if (e.key == "chown") {
      auto text = Scalar(e, scope);
      if (!text) continue;
      const size_t colon = text->find(':');
      Warn(e, "the socket belongs to supd's own user; " +
                  (colon == std::string::npos ? std::string("not carried over")
                                              : "only its group is carried over (socket_group)"));
      if (colon == std::string::npos) continue;
      const std::string group = text->substr(colon + 1);
      if (GroupExists(group)) {
        out_.supervisor.socket_group = group;
      } else {
        Warn(e, "no group `" + group + "` on this machine; socket_group written commented out");
        out_.supervisor.socket_group_comment = group;
      }
    } else if (e.key == "username" || e.key == "password") {
      Warn(e, "supd knows its peers by uid (root, its own user, allow_users, allow_groups), not by "
              "password; not carried over");
    } else {
      Warn(e, "not a [unix_http_server] key; ignored, as supervisord ignores it");
    }
  }
}

void Converter::ScanGroups() {
  for (const auto& s : doc_.sections) {
    if (!s.name.starts_with("group:")) continue;
    const IniEntry* programs = s.Find("programs");
    if (programs == nullptr) continue;
    const std::string group = s.name.substr(6);
    if (auto list = Scalar(*programs, BaseScope(*programs)))
      for (const auto& name : ListOfStrings(*list)) group_of_.emplace(name, group);
  }
}

void Converter::Groups() {
  for (const auto& s : doc_.sections) {
    if (!s.name.starts_with("group:")) continue;
    const std::string group = s.name.substr(6);
    OutGroup g{"", "[" + s.name + "]", {}};
    std::vector<std::string> listed;
    const IniEntry* programs = s.Find("programs");
    if (programs == nullptr) {
      Warn(s.file, s.line, "[" + s.name + "] has no programs (supervisord refuses it); left out");
      continue;
    }
    if (auto list = Scalar(*programs, BaseScope(*programs))) listed = ListOfStrings(*list);
    for (const auto& name : listed) {
      if (auto it = sup_names_.find(name); it != sup_names_.end()) {
        for (const auto& n : it->second)
          if (std::find(g.programs.begin(), g.programs.end(), n) == g.programs.end()) g.programs.push_back(n);
      } else if (!doc_.Find("program:" + name)) {
        Warn(*programs, "names no [program:" + name + "] (supervisord refuses it); left out of the group");
      }
    }
    for (const auto& e : s.entries) {
      if (e.key == "programs") continue;
      if (e.key != "priority") {
        Warn(e, "not a [group:x] key; ignored, as supervisord ignores it");
        continue;
      }
      auto priority = Integer(e, BaseScope(e), INT_MIN, INT_MAX);
      if (!priority) continue;
      bool own = false;
      for (auto& p : out_.programs) {
        if (std::find(g.programs.begin(), g.programs.end(), p.name) == g.programs.end()) continue;
        if (explicit_priority_.count(p.name)) {
          own = true;
          continue;
        }
        p.priority = static_cast<int>(*priority);
        explicit_priority_.insert(p.name);
      }
      if (own) {
        Warn(e, "sup groups have no priority: programs of the group without a priority of their own get "
                "priority = " + std::to_string(*priority));
      }
    }
    if (g.programs.empty()) {
      Warn(s.file, s.line, "[" + s.name + "] has no program left; left out");
      continue;
    }
    g.name = ClaimName(group, s);
    out_.groups.push_back(std::move(g));
  }
}

// supervisord's default priority is 999, sup's 100: once any program has a priority, the others
// get supervisord's default so that the start order stays what it was.
void Converter::FillPriorities() {
  if (explicit_priority_.empty()) return;
  for (auto& p : out_.programs)
    if (!p.priority) p.priority = 999;
}

// sup refuses two programs writing one file (they would rotate it under each other); supervisord
// allowed it. Both streams of one program into one file are what sup's `merge` does.
void Converter::UniqueLogFiles() {
  std::map<std::string, std::string> owner;
  for (auto& p : out_.programs) {
    if (!p.stdout_log.file.empty() && p.stdout_log.file == p.stderr_log.file) {
      p.stderr_log = OutLog{};
      p.stderr_log.merge = true;
    }
    for (OutLog* log : {&p.stdout_log, &p.stderr_log}) {
      if (log->file.empty()) continue;
      auto [it, fresh] = owner.emplace(log->file, p.name);
      if (fresh) continue;
      Warn(log->source_file, log->source_line,
           "program " + p.name + " writes the same file as " + it->second +
               ", which sup does not allow; this program's file is not carried over");
      log->file.clear();
      log->max_size.reset();
      log->backups.reset();
    }
  }
}

std::string Converter::ClaimName(const std::string& wanted, const IniSection& s) {
  const std::string clean = SanitizeName(wanted);
  if (clean != wanted) {
    Warn(s.file, s.line, "[" + s.name + "]: `" + wanted + "` is written " + clean +
                             " (sup names are letters, digits, '_', '.' and '-')");
  }
  std::string name = clean;
  for (int n = 2; taken_.count(name) || name == "all" || name == "main"; ++n) {
    name = clean.substr(0, 60) + "_" + std::to_string(n);
  }
  if (name != clean) {
    Warn(s.file, s.line, "[" + s.name + "]: the name " + clean + " is " +
                             (taken_.count(clean) ? "taken" : "reserved by sup") + "; written " + name);
  }
  taken_.insert(name);
  return name;
}

}  // namespace sup::ctl::import
