// `supctl import supervisord FILE`: the converted config on stdout, the warnings on stderr
// (ctl/import/ does the work). Exit 0 converted, 2 the input could not be read or parsed,
// 1 the conversion does not load (an importer bug: the output is still printed to inspect).
#include <unistd.h>

#include <climits>
#include <ostream>

#include "ctl/subcommands.h"
#include "ctl/exit_codes.h"
#include "ctl/import/importer.h"

namespace sup::ctl {

int RunImport(Context& ctx) {
  ctl::import::ImportOptions options;  // qualified: a line may not start with `import` (C++20 modules)
  options.env = ctx.env;
  options.euid = ::geteuid();
  char host[HOST_NAME_MAX + 1] = {};
  if (::gethostname(host, sizeof(host) - 1) == 0) options.hostname = host;

  const std::string path = ctx.inv.file.value_or("");
  const import::ImportResult result = import::ImportSupervisord(path, options);
  if (result.toml.empty()) {
    for (const auto& e : result.errors) ctx.err << "supctl import: " << e << "\n";
    return kExitUsage;
  }
  ctx.out << result.toml;
  ctx.out.flush();
  for (const auto& w : result.warnings) ctx.err << "supctl import: warning: " << w.ToString() << "\n";
  for (const auto& e : result.errors) ctx.err << "supctl import: " << e << "\n";
  if (!result.errors.empty()) return kExitFailed;
  ctx.err << "supctl import: " << path << ": converted";
  if (!result.warnings.empty()) {
    ctx.err << ", " << result.warnings.size() << (result.warnings.size() == 1 ? " warning" : " warnings");
  }
  ctx.err << "\n";
  return kExitOk;
}

}  // namespace sup::ctl
