#include "output/rotating_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
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

TEST_CASE("RotatingFile: a FIFO or a device node -> refused at once, naming the path and its type", "[output][file]") {
  TempDir dir;
  const std::string fifo = dir / "fifo.log";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // Without O_NONBLOCK this open would wait for a reader for ever.
  auto file = RotatingFile::Open(fifo, 0, 1);
  REQUIRE_FALSE(file);
  CHECK(file.error().Message() ==
        "open " + fifo + ": " + fifo + R"( is a FIFO, not a regular file (file = "" discards output))");
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);  // a reader: the open succeeds
  REQUIRE(reader >= 0);
  file = RotatingFile::Open(fifo, 0, 1);
  ::close(reader);
  REQUIRE_FALSE(file);
  CHECK(file.error().Message().find("is a FIFO, not a regular file") != std::string::npos);
  if (fs::exists("/dev/null")) {
    auto null = RotatingFile::Open("/dev/null", 100, 2);
    REQUIRE_FALSE(null);
    CHECK(null.error().Message() == R"(open /dev/null: /dev/null is a character device, not a regular file (file = "" discards output))");
  }
}

TEST_CASE("RotatingFile: the file swapped for a FIFO, then reopened -> refused, status says so, nothing blocks", "[output][file]") {
  TempDir dir;
  const std::string path = dir / "s.log";
  auto file = RotatingFile::Open(path, 0, 1);
  REQUIRE(file);
  fs::remove(path);
  REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
  (*file)->Reopen();
  CHECK((*file)->status() == "open " + path + ": " + path + R"( is a FIFO, not a regular file (file = "" discards output))");
  CHECK((*file)->Write("lost\n") == 5);  // given up, not handed back: the other sinks carry on
  CHECK((*file)->lost_lines() == 1);
}

TEST_CASE("RotatingFile: rotation renames only regular files supd writes", "[output][file]") {
  TempDir dir;
  const std::string path = dir / "r.log";
  auto file = RotatingFile::Open(path, 20, 3);
  REQUIRE(file);
  (*file)->Write("0123456789abcdef\n");  // 17 bytes: the next line rotates
  // Someone swaps the live file for a FIFO, and puts a FIFO where backup .1 -> .2 would go.
  fs::rename(path, dir / "moved.log");
  REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
  (*file)->Write("second line\n");
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));  // not renamed to r.log.1, and not written
  CHECK_FALSE(fs::exists(path + ".1"));
  CHECK((*file)->status().find("is a FIFO, not a regular file") != std::string::npos);

  // A FIFO at a backup's name is neither moved on nor replaced.
  TempDir dir2;
  const std::string p2 = dir2 / "b.log";
  REQUIRE(::mkfifo((p2 + ".1").c_str(), 0600) == 0);
  auto f2 = RotatingFile::Open(p2, 20, 3);
  REQUIRE(f2);
  (*f2)->Write("0123456789abcdef\n");
  (*f2)->Write("next line\n");
  REQUIRE(::lstat((p2 + ".1").c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));
  CHECK_FALSE(fs::exists(p2 + ".2"));
  CHECK(ReadFile(p2) == "next line\n");  // the old lines were cut: the size bound holds
}

namespace {

// RLIMIT_FSIZE as a small "disk": a write crossing it is short, the next one fails with EFBIG
// (SIGXFSZ ignored, as on supd's writer threads where it is blocked).
struct FileSizeLimit {
  rlimit old{};
  void (*old_handler)(int) = nullptr;
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &old);
    old_handler = ::signal(SIGXFSZ, SIG_IGN);
    Set(bytes);
  }
  void Set(rlim_t bytes) {
    rlimit lim{bytes, old.rlim_max};
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &lim) == 0);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old);
    ::signal(SIGXFSZ, old_handler);
  }
};

}  // namespace

TEST_CASE("RotatingFile: a short then failed write -> cut back to the last whole line, the rest handed back, error until a write succeeds", "[output][file]") {
  TempDir dir;
  const std::string path = dir / "full.log";
  auto file = RotatingFile::Open(path, 0, 0);
  REQUIRE(file);
  std::size_t written = 0;
  {
    FileSizeLimit limit(25);
    // 3 lines of 11 bytes: the kernel writes 25 bytes (2 lines and 3 bytes of the third).
    written = (*file)->Write("line-00001\nline-00002\nline-00003\n");
    CHECK(written == 22);
    CHECK(ReadFile(path) == "line-00001\nline-00002\n");  // no torn fragment left behind
    CHECK((*file)->status() == "write " + path + ": " + std::strerror(EFBIG));
    CHECK((*file)->Write("line-00003\n") == 0);  // still full: handed back again
    CHECK((*file)->status() == "write " + path + ": " + std::strerror(EFBIG));
  }
  CHECK((*file)->Write("line-00003\n") == 11);  // room again
  CHECK(ReadFile(path) == "line-00001\nline-00002\nline-00003\n");
  CHECK((*file)->status().empty());
  CHECK((*file)->lost_lines() == 0);
}

