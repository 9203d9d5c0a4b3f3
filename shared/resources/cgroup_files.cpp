#include "resources/cgroup_files.h"

#include <charconv>

#include "sup/base/parse_number.h"

namespace sup::resources {
namespace {

// Calls `each` with every line of `text` (without its '\n').
template <class F>
void ForLines(std::string_view text, F each) {
  while (!text.empty()) {
    const auto end = text.find('\n');
    each(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

std::vector<std::string_view> Split(std::string_view line) {
  std::vector<std::string_view> out;
  while (true) {
    const auto start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos) break;
    line.remove_prefix(start);
    const auto end = std::min(line.find_first_of(" \t"), line.size());
    out.push_back(line.substr(0, end));
    line.remove_prefix(end);
  }
  return out;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size()) {
      int value = 0;
      const auto [ptr, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 4, value, 8);
      if (ec == std::errc() && ptr == text.data() + i + 4) {
        out += static_cast<char>(value);
        i += 3;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

}  // namespace

std::optional<std::string> ParseV2CgroupPath(std::string_view text) {
  std::optional<std::string> path;
  ForLines(text, [&](std::string_view line) {
    if (line.starts_with("0::")) path = std::string(line.substr(3));
  });
  return path;
}

std::vector<Cgroup2Mount> ParseCgroup2Mounts(std::string_view mountinfo) {
  std::vector<Cgroup2Mount> mounts;
  ForLines(mountinfo, [&](std::string_view line) {
    const auto fields = Split(line);
    // id parent major:minor root mount_point options [optional...] - fstype source superopts
    std::size_t dash = 6;
    while (dash < fields.size() && fields[dash] != "-") ++dash;
    if (fields.size() < 6 || dash + 1 >= fields.size() || fields[dash + 1] != "cgroup2") return;
    Cgroup2Mount m;
    m.root = Unescape(fields[3]);
    m.mount_point = Unescape(fields[4]);
    const std::string_view options = fields[5];
    m.read_only = options == "ro" || options.starts_with("ro,");
    mounts.push_back(std::move(m));
  });
  return mounts;
}

std::optional<std::string> CgroupDirectory(const std::string& path, const std::vector<Cgroup2Mount>& mounts) {
  for (const auto& m : mounts) {
    if (m.root == "/") return path == "/" ? m.mount_point : m.mount_point + path;
    if (path == m.root) return m.mount_point;
    if (path.starts_with(m.root + "/")) return m.mount_point + path.substr(m.root.size());
  }
  return std::nullopt;
}

std::vector<std::string> ParseWords(std::string_view text) {
  std::vector<std::string> words;
  ForLines(text, [&](std::string_view line) {
    for (auto w : Split(line)) words.emplace_back(w);
  });
  return words;
}

std::optional<std::uint64_t> ParseKeyedValue(std::string_view text, std::string_view key) {
  std::optional<std::uint64_t> value;
  ForLines(text, [&](std::string_view line) {
    const auto fields = Split(line);
    if (fields.size() != 2 || fields[0] != key) return;
    if (const auto v = ParseNumber<std::uint64_t>(fields[1])) value = v;
  });
  return value;
}

std::string CpuMaxText(int percent) {
  return std::to_string(static_cast<long long>(percent) * 1000) + " 100000";
}

}  // namespace sup::resources
