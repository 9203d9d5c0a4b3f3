// Typed, error-collecting reads of one TOML table: every problem becomes a ConfigError with
// file:line:col and the reader carries on, so one load reports every error at once.
// Internal to sup_conf (the only place toml++ is seen). The table and Context must outlive it.
#pragma once

#include <sys/types.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <toml++/toml.h>

#include "sup/conf/loader.h"
#include "vars.h"

namespace sup::conf {

// One file being read: its name (for positions), supd's environment and the shared error list.
struct Context {
  std::string file;
  const Environment& env;
  std::vector<ConfigError>& errors;

  SourcePos Pos(const toml::source_region& region) const;
  void Error(SourcePos pos, std::string message) { errors.push_back({std::move(pos), std::move(message)}); }
};

std::string_view TypeName(const toml::node& node);

class TableReader {
 public:
  // `where` names the table in messages: "[program.web]".
  TableReader(Context& ctx, const toml::table& table, std::string where);

  // Reports each key not in `allowed`, with the closest allowed key as a hint.
  void CheckKeys(std::initializer_list<std::string_view> allowed);

  const toml::node* Find(std::string_view key) const { return table_.get(key); }
  SourcePos Pos(std::string_view key) const;     // the value's position, else the table's
  SourcePos KeyPos(std::string_view key) const;  // the key's own position
  Context& ctx() { return ctx_; }
  const std::string& where() const { return where_; }
  const toml::table& table() const { return table_; }

  void Bool(std::string_view key, bool& out);
  void Int(std::string_view key, int& out, std::int64_t min, std::int64_t max);
  void Float(std::string_view key, double& out, double min, double max);
  void Duration(std::string_view key, conf::Duration& out);
  void OptionalDuration(std::string_view key, std::optional<conf::Duration>& out);  // "" / 0: none
  void Size(std::string_view key, std::uint64_t& out);
  void Limit(std::string_view key, std::uint64_t& out);  // integer, size or "unlimited"
  void Signal(std::string_view key, int& out);
  void Mode(std::string_view key, mode_t& out, mode_t max);
  void OptionalMode(std::string_view key, std::optional<mode_t>& out, mode_t max);  // "": none
  void String(std::string_view key, std::string& out, InstanceVars vars = InstanceVars::kForbidden);
  void StringList(std::string_view key, std::vector<std::string>& out,
                  InstanceVars vars = InstanceVars::kForbidden);
  void IntList(std::string_view key, std::vector<int>& out, int min, int max);

  template <class E>
  void Enum(std::string_view key, E& out, std::initializer_list<std::pair<std::string_view, E>> values);

  // The sub-table at `key`, or nullptr (with a type error if `key` holds something else).
  const toml::table* SubTable(std::string_view key);

  // Expands one string node; reports and returns nullopt on error.
  std::optional<std::string> Expand(const toml::node& node, std::string_view key, InstanceVars vars);
  void TypeError(std::string_view key, const toml::node& node, std::string_view expected);
  void ValueError(std::string_view key, const toml::node& node, std::string message);

 private:
  std::optional<std::string> EnumText(std::string_view key);
  void EnumError(std::string_view key, const std::string& got, const std::vector<std::string>& valid);

  Context& ctx_;
  const toml::table& table_;
  std::string where_;
};

template <class E>
void TableReader::Enum(std::string_view key, E& out,
                       std::initializer_list<std::pair<std::string_view, E>> values) {
  auto text = EnumText(key);
  if (!text) return;
  std::vector<std::string> valid;
  for (const auto& [name, value] : values) {
    if (*text == name) {
      out = value;
      return;
    }
    valid.emplace_back(name);
  }
  EnumError(key, *text, valid);
}

}  // namespace sup::conf
