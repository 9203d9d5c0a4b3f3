// The configs Debian's supervisor package ships, and supervisor's own test configs: each one
// imports, and what comes out loads.
#include <filesystem>

#include "import_helpers.h"

using namespace sup::ctl::import;
using namespace sup::ctl::import::testing;

namespace {

const std::string kSamples = SUP_IMPORT_SAMPLES;

Imported ImportSample(const std::string& relative) {
  const std::string path = kSamples + "/" + relative;
  ImportResult result = ImportSupervisord(path, Options());
  std::string errors;
  for (const auto& e : result.errors) errors += e + "\n";
  INFO(path << ":\n" << errors << result.toml);
  REQUIRE(result.errors.empty());
  auto loaded = sup::conf::LoadString(result.toml, "imported.toml", Options().env, 0);
  REQUIRE(loaded.errors.empty());
  return Imported{std::move(result), std::move(*loaded.config)};
}

}  // namespace

TEST_CASE("Import samples: Debian's /etc/supervisor/supervisord.conf -> socket, logs_dir, warnings", "[ctl][import]") {
  auto imported = ImportSample("debian/supervisord.conf");
  const auto& s = imported.config.supervisor;
  CHECK(s.socket == "/var/run/supervisor.sock");
  CHECK(s.socket_mode == 0700);
  CHECK(s.logs_dir == "/var/log/supervisor");
  CHECK(imported.config.programs.empty());
  CHECK(imported.Warned(8, "logfile: supd logs its own events to stderr"));
  CHECK(imported.Warned(9, "pidfile"));
  CHECK(imported.Warned(16, "supervisor.rpcinterface_factory"));
  CHECK(imported.Warned(19, "serverurl"));
  CHECK(imported.Warned(28, "no file matches /etc/supervisor/conf.d/*.conf"));
  CHECK(imported.result.warnings.size() == 5);
}

TEST_CASE("Import samples: echo_supervisord_conf's sample.conf -> socket and a warning per key", "[ctl][import]") {
  auto imported = ImportSample("debian/sample.conf");
  CHECK(imported.config.supervisor.socket == "/tmp/supervisor.sock");
  for (int line : {45, 46, 47, 48, 49, 50, 52, 53, 68, 75}) {
    INFO("line " << line);
    bool found = false;
    for (const auto& w : imported.result.warnings) found = found || w.line == line;
    CHECK(found);
  }
}

TEST_CASE("Import samples: every config of supervisor's own tests -> imports and loads", "[ctl][import]") {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kSamples + "/supervisor-fixtures")) {
    if (entry.path().extension() != ".conf") continue;
    ImportSample("supervisor-fixtures/" + entry.path().filename().string());
    ++count;
  }
  CHECK(count >= 20);
}

TEST_CASE("Import samples: issue-1170b's ENV_FOO -> the program's own FOO, as supervisord reads it", "[ctl][import]") {
  auto imported = ImportSample("supervisor-fixtures/issue-1170b.conf");
  CHECK(imported.Program("echo").command ==
        std::vector<std::string>{"bash", "-c", "echo 'set from [program] section'"});
}

TEST_CASE("Import samples: include.conf's %(here)s -> the included file's directory", "[ctl][import]") {
  auto imported = ImportSample("supervisor-fixtures/include.conf");
  CHECK(imported.config.supervisor.logs_dir == kSamples + "/supervisor-fixtures/example");
}
