// The cgroup v2 file parsers on texts as this development machine (hybrid: cgroup2 at
// /sys/fs/cgroup/unified), a unified host and a container write them.
#include "resources/cgroup_files.h"

#include <catch2/catch.hpp>

using namespace sup::resources;

TEST_CASE("ParseV2CgroupPath takes the 0:: line") {
  CHECK(ParseV2CgroupPath("9:name=systemd:/\n4:memory:/x/y\n0::/\n") == "/");
  CHECK(ParseV2CgroupPath("0::/system.slice/supd.service\n") == "/system.slice/supd.service");
  CHECK_FALSE(ParseV2CgroupPath("4:memory:/x\n1:cpu:/\n"));
}

TEST_CASE("ParseCgroup2Mounts finds cgroup2 mounts among the others") {
  const char* hybrid =
      "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
      "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
      "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
  const auto mounts = ParseCgroup2Mounts(hybrid);
  REQUIRE(mounts.size() == 1);
  CHECK(mounts[0].mount_point == "/sys/fs/cgroup/unified");
  CHECK(mounts[0].root == "/");
  CHECK_FALSE(mounts[0].read_only);

  const char* container =
      "700 650 0:40 /kubepods/pod1 /sys/fs/cgroup ro,nosuid shared:5 master:3 - cgroup2 cgroup2 rw\n";
  const auto c = ParseCgroup2Mounts(container);
  REQUIRE(c.size() == 1);
  CHECK(c[0].root == "/kubepods/pod1");
  CHECK(c[0].read_only);

  CHECK(ParseCgroup2Mounts("1 2 0:3 /a\\040b /mnt\\040x rw - cgroup2 none rw\n")[0].mount_point == "/mnt x");
}

TEST_CASE("CgroupDirectory places a cgroup path under its mount") {
  const std::vector<Cgroup2Mount> unified = {{"/", "/sys/fs/cgroup", false}};
  CHECK(CgroupDirectory("/", unified) == "/sys/fs/cgroup");
  CHECK(CgroupDirectory("/system.slice/supd.service", unified) == "/sys/fs/cgroup/system.slice/supd.service");
  const std::vector<Cgroup2Mount> bound = {{"/kubepods/pod1", "/sys/fs/cgroup", false}};
  CHECK(CgroupDirectory("/kubepods/pod1", bound) == "/sys/fs/cgroup");
  CHECK(CgroupDirectory("/kubepods/pod1/c", bound) == "/sys/fs/cgroup/c");
  CHECK_FALSE(CgroupDirectory("/kubepods/pod10", bound));
  CHECK_FALSE(CgroupDirectory("/", {}));
}

TEST_CASE("Keyed values, controller words and cpu.max text") {
  const char* cpu_stat = "usage_usec 812345\nuser_usec 800000\nsystem_usec 12345\n";
  CHECK(ParseKeyedValue(cpu_stat, "usage_usec") == 812345u);
  CHECK(ParseKeyedValue(cpu_stat, "system_usec") == 12345u);
  CHECK_FALSE(ParseKeyedValue(cpu_stat, "usage"));
  const char* events = "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\noom_group_kill 0\n";
  CHECK(ParseKeyedValue(events, "oom_kill") == 1u);
  CHECK(ParseKeyedValue("oom_kill x\n", "oom_kill") == std::nullopt);
  CHECK(ParseWords("cpuset cpu io memory pids\n") ==
        std::vector<std::string>{"cpuset", "cpu", "io", "memory", "pids"});
  CHECK(ParseWords("\n").empty());
  CHECK(CpuMaxText(50) == "50000 100000");
  CHECK(CpuMaxText(250) == "250000 100000");
}
