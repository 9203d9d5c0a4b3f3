#include "status/counter_page.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "status/counter_reader.h"

namespace sup::daemon {

std::string CounterPageName(std::string_view status_shm, pid_t supd_pid, std::uint64_t id) {
  if (status_shm.empty()) return {};
  return std::string(status_shm) + "." + std::to_string(supd_pid) + "." + std::to_string(id);
}

Result<std::unique_ptr<CounterPage>> CounterPage::Create(const std::string& shm_name, mode_t mode) {
  if (shm_name.size() >= SUP_STATUS_PAGE_MAX) {
    return Fail(Error{ErrorCode::kInvalidConfig, 0, "counter page name too long: " + shm_name});
  }
  int fd;
  if (shm_name.empty()) {
    fd = memfd_create("sup-counters", MFD_CLOEXEC);
    if (fd < 0) return Fail(SystemError("create counter page", errno));
  } else {
    // No write bit for anyone: writing goes only through an fd opened here.
    const mode_t page_mode = mode & 0444;
    fd = shm_open(shm_name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, page_mode);
    if (fd < 0) return Fail(SystemError("create counter page " + shm_name, errno));
    if (fchmod(fd, page_mode) != 0) {
      const int err = errno;
      close(fd);
      shm_unlink(shm_name.c_str());
      return Fail(SystemError("chmod counter page " + shm_name, err));
    }
  }
  // supd reads every page for every `status`: without atime updates (best effort; supd owns
  // the file) each read skips touch_atime, 5 % of a 9 800-program reply.
  const int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NOATIME);
  std::unique_ptr<CounterPage> page(new CounterPage(fd, shm_name));
  // Written with pwrite, not through a mapping: supd never maps a page a worker can resize.
  sup_counter_page_header h;
  std::memset(&h, 0, sizeof(h));
  h.magic = SUP_COUNTERS_MAGIC;
  h.version = SUP_COUNTERS_VERSION;
  h.header_size = sizeof(sup_counter_page_header);
  h.entry_size = sizeof(sup_counter_entry);
  h.capacity = SUP_COUNTERS_PER_PAGE;
  if (ftruncate(fd, sizeof(sup_counter_page)) != 0) {
    return Fail(SystemError("size counter page " + shm_name, errno));
  }
  if (pwrite(fd, &h, sizeof(h), 0) != static_cast<ssize_t>(sizeof(h))) {
    return Fail(SystemError("write counter page " + shm_name, errno));
  }
  return page;
}

CounterPage::~CounterPage() {
  close(fd_);
  if (!name_.empty()) shm_unlink(name_.c_str());
}

std::vector<CounterValue> CounterPage::Read() const {
  auto values = ReadCountersFromFd(fd_);
  return values ? std::move(*values) : std::vector<CounterValue>{};
}

std::uint64_t CounterPage::HeartbeatNs() const { return ReadHeartbeatFromFd(fd_); }

}  // namespace sup::daemon
