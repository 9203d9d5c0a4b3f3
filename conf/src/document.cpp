// Reading one parsed file's top level, [supervisor] and [group.*]; programs are in
// parse_program.cpp. Cross-file checks wait for Validate().
#include "document.h"

#include <algorithm>
#include <filesystem>

#include "names.h"
#include "sup/conf/units.h"

namespace sup::conf {
namespace {

SourcePos TablePos(const Context& ctx, const toml::key& key, const toml::node& node) {
  SourcePos pos = ctx.Pos(node.source());
  return pos.line > 0 ? pos : ctx.Pos(key.source());
}

std::vector<std::pair<const toml::key*, const toml::node*>> SortedByPosition(const toml::table& t) {
  std::vector<std::pair<const toml::key*, const toml::node*>> entries;
  for (const auto& [key, node] : t) entries.emplace_back(&key, &node);
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    const auto& pa = a.first->source().begin;
    const auto& pb = b.first->source().begin;
    return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
  });
  return entries;
}

bool CheckName(Context& ctx, const std::string& kind, const std::string& name, SourcePos pos) {
  if (!IsValidName(name)) {
    ctx.Error(pos, "bad " + kind + " name \"" + name +
                       "\": use 1 to 64 of A-Z a-z 0-9 _ . - (not starting with . or -)");
    return false;
  }
  if (IsReservedName(name)) {
    ctx.Error(pos, "the " + kind + " name \"" + name + "\" is reserved (\"all\" and \"main\" are)");
    return false;
  }
  return true;
}

void ReadSupervisor(Context& ctx, const toml::table& t, LoadState& state) {
  SupervisorSpec& s = state.config.supervisor;
  TableReader r(ctx, t, "[supervisor]");
  r.CheckKeys({"socket", "socket_mode", "socket_group", "allow_users", "allow_groups", "status_shm",
               "shm_mode", "logs_dir", "shutdown_timeout", "include", "http", "cgroup"});
  for (const char* key : {"socket_group", "allow_users", "allow_groups", "include"})
    if (r.Find(key)) state.supervisor_keys.pos[key] = r.Pos(key);
  r.String("socket", s.socket);
  state.socket_set = r.Find("socket") && !s.socket.empty();
  r.Mode("socket_mode", s.socket_mode, 07777);
  state.socket_mode_set = r.Find("socket_mode") != nullptr;
  r.String("socket_group", s.socket_group);
  r.StringList("allow_users", s.allow_users);
  r.StringList("allow_groups", s.allow_groups);
  r.String("status_shm", s.status_shm);
  state.status_shm_set = r.Find("status_shm") != nullptr;
  if (!s.status_shm.empty() &&
      (s.status_shm.front() != '/' || s.status_shm.size() < 2 || s.status_shm.size() > 255 ||
       s.status_shm.find('/', 1) != std::string::npos)) {
    ctx.Error(r.Pos("status_shm"), "`status_shm` in [supervisor] must be a POSIX shm name like "
                                   "\"/sup\" (one leading /, no other), or \"\" to disable it");
  }
  r.Mode("shm_mode", s.shm_mode, 07777);
  r.String("logs_dir", s.logs_dir);
  state.logs_dir_set = r.Find("logs_dir") && !s.logs_dir.empty();
  r.Duration("shutdown_timeout", s.shutdown_timeout);
  r.StringList("include", s.include);
  r.Enum("cgroup", s.cgroup, {{"auto", CgroupMode::kAuto}, {"off", CgroupMode::kOff}});
  r.String("http", s.http);
  if (!s.http.empty()) {
    const size_t colon = s.http.rfind(':');
    const std::string port = colon == std::string::npos ? "" : s.http.substr(colon + 1);
    const bool digits = !port.empty() && port.size() <= 5 &&
                        std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || std::stoi(port) > 65535 || colon == 0) {
      ctx.Error(r.Pos("http"), "`http` in [supervisor] must be \"host:port\" (e.g. \"127.0.0.1:9100\"), not \"" +
                                   s.http + "\"");
    }
  }
}

void ReadGroups(Context& ctx, const toml::table& t, LoadState& state) {
  for (const auto& [key, node] : SortedByPosition(t)) {
    const std::string name(key->str());
    const SourcePos pos = TablePos(ctx, *key, *node);
    const auto* table = node->as_table();
    if (!table) {
      ctx.Error(pos, "[group." + name + "] must be a table, not " + std::string(TypeName(*node)));
      continue;
    }
    if (!CheckName(ctx, "group", name, ctx.Pos(key->source()))) continue;
    GroupSpec g{name, pos, {}};
    TableReader r(ctx, *table, "[group." + name + "]");
    r.CheckKeys({"programs"});
    r.StringList("programs", g.programs);
    state.config.groups.push_back(std::move(g));
    state.group_pos.push_back(r.Pos("programs"));
  }
}

void ReadPrograms(Context& ctx, const toml::table& t, LoadState& state) {
  for (const auto& [key, node] : SortedByPosition(t)) {
    const std::string name(key->str());
    const SourcePos pos = TablePos(ctx, *key, *node);
    const auto* table = node->as_table();
    if (!table) {
      ctx.Error(pos, "[program." + name + "] must be a table, not " + std::string(TypeName(*node)));
      continue;
    }
    if (!CheckName(ctx, "program", name, ctx.Pos(key->source()))) continue;
    ProgramSpec p;
    p.name = name;
    p.pos = pos;
    ProgramSource src;
    src.pos["header"] = pos;
    TableReader r(ctx, *table, "[program." + name + "]");
    ReadProgram(r, p, src);
    state.config.programs.push_back(std::move(p));
    state.sources.push_back(std::move(src));
  }
}

}  // namespace

SourcePos ProgramSource::At(const std::string& key) const {
  auto it = pos.find(key);
  if (it != pos.end()) return it->second;
  it = pos.find("header");
  return it != pos.end() ? it->second : SourcePos{};
}

void ReadDocument(const toml::table& root, const std::string& file, bool is_main, LoadState& state) {
  Context ctx{file, state.env, state.errors};
  TableReader top(ctx, root, "the top level");
  top.CheckKeys({"supervisor", "program", "group"});
  if (const auto* node = root.get("supervisor")) {
    if (!is_main) {
      ctx.Error(ctx.Pos(node->source()), "[supervisor] is only allowed in the main config file; "
                                         "an included file may hold only [program.*] and [group.*]");
    } else if (const auto* t = top.SubTable("supervisor")) {
      state.supervisor_pos = ctx.Pos(t->source());
      state.supervisor_keys.pos["header"] = state.supervisor_pos;
      ReadSupervisor(ctx, *t, state);
    }
  }
  if (const auto* t = top.SubTable("program")) ReadPrograms(ctx, *t, state);
  if (const auto* t = top.SubTable("group")) ReadGroups(ctx, *t, state);
}

void ApplySupervisorDefaults(LoadState& state, const std::string& config_dir) {
  SupervisorSpec& s = state.config.supervisor;
  if (!state.socket_set) s.socket = DefaultSocketPath(state.uid, state.env);
  if (!state.status_shm_set) s.status_shm = DefaultStatusShm(s.socket);
  if (!state.logs_dir_set) {
    s.logs_dir = DefaultLogsDir(state.uid, state.env);
  } else if (s.logs_dir.front() != '/') {
    // Relative to the file that says it, as `include` is, and made absolute once here so that
    // log paths do not depend on supd's working directory.
    std::error_code ec;
    auto dir = std::filesystem::absolute(std::filesystem::path(config_dir) / s.logs_dir, ec);
    if (!ec) s.logs_dir = dir.lexically_normal().string();
  }
  if (!state.socket_mode_set && (!s.allow_users.empty() || !s.allow_groups.empty()))
    s.socket_mode = 0666;
}

}  // namespace sup::conf
