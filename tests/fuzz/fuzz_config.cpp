// libFuzzer target: the config loader (sup::conf::LoadString) on arbitrary text, as root and
// as an ordinary user. Invariants: no crash, no sanitizer report, and `config` set iff no
// errors; every error renders.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sup/conf/loader.h"

namespace {

// `include` is the loader's one way to reach other files. Configs are trusted (root-owned),
// and an include of /dev/zero would read forever by design, so inputs that could name a path
// outside the (nonexistent) label directory are skipped: a '/' or a TOML unicode escape in a
// document that says "include". Relative includes still run and match nothing, and so does
// ${HOME} (an include may expand variables): it names a directory that does not exist.
bool ReachesOutside(std::string_view text) {
  if (text.find("include") == std::string_view::npos) return false;
  return text.find('/') != std::string_view::npos || text.find("\\u") != std::string_view::npos ||
         text.find("\\U") != std::string_view::npos;
}

void Check(std::string_view text, uid_t uid) {
  static const sup::conf::Environment kEnv = {
      {"HOME", "/nonexistent-sup-fuzz/home"}, {"USER", "fuzz"}, {"PORT", "8080"}, {"EMPTY", ""}};
  const sup::conf::LoadResult r =
      sup::conf::LoadString(text, "/nonexistent-sup-fuzz/sup.toml", kEnv, uid);
  if (r.config.has_value() == !r.errors.empty()) __builtin_trap();
  for (const auto& e : r.errors) {
    if (e.ToString().empty()) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 256 * 1024) return 0;  // real configs are small; keeps iterations fast
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (ReachesOutside(text)) return 0;
  Check(text, 0);
  Check(text, 1000);
  return 0;
}
