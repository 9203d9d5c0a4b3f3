#include "output/rotating_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "output_test_util.h"

using namespace sup::daemon::output;
using namespace sup::daemon::output::testing;
namespace fs = std::filesystem;

namespace {

std::string Numbered(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "line-%05d\n", i);  // 11 bytes
  return buf;
}

}  // namespace

TEST_CASE("RotatingFile: new file -> created 0640 and lines appended", "[output][file]") {
  TempDir dir;
  auto file = RotatingFile::Open(dir / "sub/dir/web.log", 0, 5);
  REQUIRE(file);
  (*file)->Write("a\nb\n");
  (*file)->Write("c\n");
  CHECK(ReadFile(dir / "sub/dir/web.log") == "a\nb\nc\n");
  struct stat st {};
  REQUIRE(::stat((dir / "sub/dir/web.log").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0640);
  CHECK((*file)->status().empty());
}

TEST_CASE("RotatingFile: existing file -> appended to, its size counted", "[output][file]") {
  TempDir dir;
  { std::ofstream(dir / "w.log") << "old\n"; }
  auto file = RotatingFile::Open(dir / "w.log", 0, 1);
  REQUIRE(file);
  CHECK((*file)->size() == 4);
  (*file)->Write("new\n");
  CHECK(ReadFile(dir / "w.log") == "old\nnew\n");
}

TEST_CASE("RotatingFile: a symlink -> refused (O_NOFOLLOW) with the OS error", "[output][file]") {
  TempDir dir;
  fs::create_symlink(dir / "target", dir / "link.log");
  auto file = RotatingFile::Open(dir / "link.log", 0, 1);
  REQUIRE_FALSE(file);
  CHECK(file.error().Message() == "open " + (dir / "link.log") + ": " + std::strerror(ELOOP));
}

TEST_CASE("RotatingFile: unopenable path -> error names the file and the OS reason", "[output][file]") {
  TempDir dir;
  { std::ofstream(dir / "plain") << "x"; }
  auto file = RotatingFile::Open(dir / "plain/web.log", 0, 1);
  REQUIRE_FALSE(file);
  CHECK(file.error().Message() == "open " + (dir / "plain/web.log") + ": Not a directory");
}

TEST_CASE("RotatingFile: small max_size -> FILE.1 newest, every line exactly once, none split", "[output][file]") {
  TempDir dir;
  const std::string path = dir / "r.log";
  auto file = RotatingFile::Open(path, 100, 1000);  // 9 lines of 11 bytes per file
  REQUIRE(file);
  std::string chunk;
  for (int i = 0; i < 500; ++i) {
    chunk += Numbered(i);
    if (i % 7 == 6) {  // batches of several lines, like the writer thread gets
      (*file)->Write(chunk);
      chunk.clear();
    }
  }
  (*file)->Write(chunk);

  int files = 0;
  while (fs::exists(path + "." + std::to_string(files + 1))) ++files;
  REQUIRE(files > 10);
  std::vector<std::string> all;
  for (int k = files; k >= 1; --k) {  // oldest (highest number) first
    const std::string text = ReadFile(path + "." + std::to_string(k));
    CHECK(text.size() <= 100);
    CHECK(text.back() == '\n');
    for (auto& l : Lines(text)) all.push_back(l);
  }
  for (auto& l : Lines(ReadFile(path))) all.push_back(l);
  REQUIRE(all.size() == 500);
  for (int i = 0; i < 500; ++i) CHECK(all[i] + "\n" == Numbered(i));
}

TEST_CASE("RotatingFile: more rotations than backups -> only FILE.1..FILE.N kept", "[output][file]") {
  TempDir dir;
  const std::string path = dir / "b.log";
  auto file = RotatingFile::Open(path, 22, 2);  // two lines per file
  REQUIRE(file);
  for (int i = 0; i < 20; ++i) (*file)->Write(Numbered(i));
  CHECK(ReadFile(path) == Numbered(18) + Numbered(19));
  CHECK(ReadFile(path + ".1") == Numbered(16) + Numbered(17));
  CHECK(ReadFile(path + ".2") == Numbered(14) + Numbered(15));
  CHECK_FALSE(fs::exists(path + ".3"));
}

TEST_CASE("RotatingFile: a line longer than max_size -> a file of its own, never split", "[output][file]") {
  TempDir dir;
  const std::string path = dir / "l.log";
  auto file = RotatingFile::Open(path, 10, 3);
  REQUIRE(file);
  (*file)->Write("short\n");
  const std::string big = std::string(50, 'x') + "\n";
  (*file)->Write(big);
  (*file)->Write("after\n");
  CHECK(ReadFile(path + ".2") == "short\n");
  CHECK(ReadFile(path + ".1") == big);
  CHECK(ReadFile(path) == "after\n");
}

TEST_CASE("RotatingFile: max_size 0 -> never rotates", "[output][file]") {
  TempDir dir;
  auto file = RotatingFile::Open(dir / "n.log", 0, 3);
  REQUIRE(file);
  for (int i = 0; i < 1000; ++i) (*file)->Write(Numbered(i));
  CHECK(ReadFile(dir / "n.log").size() == 11000);
  CHECK_FALSE(fs::exists(dir / "n.log.1"));
}

TEST_CASE("RotatingFile: reopen after logrotate moved the file -> new lines go to a new file", "[output][file]") {
  TempDir dir;
  const std::string path = dir / "m.log";
  auto file = RotatingFile::Open(path, 0, 3);
  REQUIRE(file);
  (*file)->Write("before\n");
  fs::rename(path, path + ".moved");
  (*file)->Write("still old\n");  // until reopened, the moved file is written
  (*file)->Reopen();
  (*file)->Write("after\n");
  CHECK(ReadFile(path + ".moved") == "before\nstill old\n");
  CHECK(ReadFile(path) == "after\n");
}

TEST_CASE("RotatingFile: open fails on reopen -> status kept, lines lost, then writing resumes", "[output][file]") {
  TempDir dir;
  const std::string path = dir / "f.log";
  auto file = RotatingFile::Open(path, 0, 3);
  REQUIRE(file);
  (*file)->Write("one\n");
  fs::rename(path, path + ".old");
  fs::create_directory(path);  // the name now refuses to be opened for writing
  (*file)->Reopen();
  CHECK((*file)->status() == "open " + path + ": Is a directory");
  (*file)->Write("lost\n");
  CHECK((*file)->lost_lines() == 1);
  CHECK((*file)->status() == "open " + path + ": Is a directory");

  fs::remove(path);
  // Writing resumes on a line after the back-off; keep writing (bounded) until one lands.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  int attempts = 0;
  while (!fs::exists(path) && std::chrono::steady_clock::now() < deadline) {
    (*file)->Write("retry\n");
    ++attempts;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(fs::exists(path));
  CHECK((*file)->status().empty());
  CHECK(ReadFile(path) == "retry\n");
  CHECK(ReadFile(path + ".old") == "one\n");
  CHECK((*file)->lost_lines() == static_cast<std::uint64_t>(attempts));  // all but the last were lost
}

TEST_CASE("RotatingFile: ENOSPC on write -> status says so and Write keeps returning", "[output][file]") {
  if (!fs::exists("/dev/full")) return;  // no such device in this sandbox: nothing to check
  auto file = RotatingFile::Open("/dev/full", 0, 0);
  REQUIRE(file);
  (*file)->Write("x\n");
  CHECK((*file)->status() == "write /dev/full: No space left on device");
  (*file)->Write("y\n");  // within the back-off: discarded without a system call
  CHECK((*file)->lost_lines() == 2);
}
