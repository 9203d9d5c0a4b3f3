// clone3 with CLONE_INTO_CGROUP: a child born in its instance's cgroup (SPEC §9.2), so nothing
// migrates it there. Joining after birth (a write of "0" to cgroup.procs) cost each spawn a
// task migration under the cgroup hierarchy's write lock: ~75 us alone, far more under load.
// glibc has no clone3 wrapper, and a CLONE_VM child runs on a stack of its own from the
// syscall's return on, so the syscall is made by a small assembly trampoline (x86_64, aarch64).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>

namespace sup::daemon {

struct CloneIntoCgroupArgs {
  int (*child)(void*) = nullptr;  // runs on `stack`; its return value is the child's exit code
  void* child_arg = nullptr;
  void* stack_low = nullptr;      // the lowest usable address of the child's stack
  std::size_t stack_size = 0;     // its top (stack_low + stack_size) must be 16-byte aligned
  std::uint64_t flags = 0;        // CLONE_VM, CLONE_VFORK, CLONE_FILES...; no signal bits
  int cgroup_fd = -1;             // a directory (O_PATH will do) of a cgroup v2 hierarchy
};

// The child's pid, or -1 with errno. ENOSYS where the architecture has no trampoline here;
// what the kernel answers otherwise (ENOSYS before Linux 5.3 or under a seccomp filter,
// E2BIG or EINVAL before 5.7, EPERM from some sandboxes, EBUSY or EOPNOTSUPP for a cgroup that
// cannot take processes). SIGCHLD is the exit signal.
pid_t CloneIntoCgroup(const CloneIntoCgroupArgs& args);

// Whether an error of CloneIntoCgroup says this kernel (or sandbox) will never honour it, so
// that the caller stops trying and joins children by cgroup.procs from then on.
bool CloneIntoCgroupUnsupported(int error);

}  // namespace sup::daemon
