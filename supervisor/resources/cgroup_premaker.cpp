#include "resources/cgroup_premaker.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sup::daemon::resources {

CgroupPremaker::~CgroupPremaker() { Finish(); }

void CgroupPremaker::Start(int base_fd, std::vector<std::string> names) {
  if (names.size() < kMinInstances || thread_.joinable()) return;
  base_fd_ = base_fd;
  thread_ = std::thread([this, base_fd, names = std::move(names)]() mutable { Run(base_fd, std::move(names)); });
}

void CgroupPremaker::Run(int base_fd, std::vector<std::string> names) {
  for (const auto& name : names) {
    if (stop_.load(std::memory_order_relaxed)) return;
    if (::mkdirat(base_fd, name.c_str(), 0755) != 0) continue;  // EEXIST: the loop was first
    // Looked up once here, so that the loop's open of it (the spawn's O_PATH descriptor) finds
    // the dentry and inode made rather than making them.
    struct stat st {};
    ::fstatat(base_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW);
    const std::lock_guard lock(mutex_);
    made_.insert(name);
  }
}

bool CgroupPremaker::Claim(const std::string& name) {
  const std::lock_guard lock(mutex_);
  return made_.erase(name) > 0;
}

void CgroupPremaker::Finish() {
  stop_.store(true, std::memory_order_relaxed);
  if (thread_.joinable()) thread_.join();
  const std::lock_guard lock(mutex_);
  for (const auto& name : made_) ::unlinkat(base_fd_, name.c_str(), AT_REMOVEDIR);
  made_.clear();
}

}  // namespace sup::daemon::resources
