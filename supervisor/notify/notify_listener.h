// supd's sd_notify socket: a datagram socket at <socket dir>/notify (mode 0666, SO_PASSCRED),
// read with recvmsg from a uv_poll_t so each message carries its sender's pid and uid. Passed
// descriptors are closed at once (which is what releases a BARRIER=1 sender). Whether a message
// is accepted is the owner's decision: its handler returns false to reject (counted).
#pragma once

#include <sys/types.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "loop/uv_handle.h"
#include "notify/notify_message.h"
#include "sup/base/result.h"

namespace sup::daemon {

// Datagrams larger than this are dropped (SPEC §6).
constexpr std::size_t kMaxNotifyDatagram = 4096;

// The acceptance rule of SPEC §6, read now: `sender` is the instance's `main_pid`, or a live
// process whose process group is `pgid` (the instance's group; <= 0 when it has none).
// A sender that is already gone belongs to nobody.
bool SenderBelongs(pid_t sender, pid_t main_pid, pid_t pgid);

class NotifyListener {
 public:
  // Called on the loop thread for every well-formed datagram, with the sender's credentials.
  // Returns true when accepted (the sender belongs to an instance: see SenderBelongs), false to
  // reject; must not throw (an exception is caught and counted as a rejection).
  using Handler = std::function<bool(const NotifyMessage&)>;

  struct Stats {
    std::uint64_t accepted = 0;
    std::uint64_t rejected = 0;   // notify_rejected: the handler said no
    std::uint64_t oversize = 0;   // datagrams over kMaxNotifyDatagram, dropped
    std::uint64_t malformed = 0;  // embedded NUL, dropped
  };

  // Binds `path` (a stale socket there is replaced: the caller has already made sure that no
  // other supd serves this directory; any other file there is an error) and starts polling.
  // `loop` must outlive the listener.
  static Result<std::unique_ptr<NotifyListener>> Create(uv_loop_t* loop, const std::string& path,
                                                        Handler handler);
  NotifyListener(const NotifyListener&) = delete;
  NotifyListener& operator=(const NotifyListener&) = delete;
  ~NotifyListener();  // stops polling, closes the socket, unlinks the path

  // Reads every datagram queued now (also what the poll callback does). The owner may call it
  // when it reaps an instance, so a READY=1 sent just before the exit is handled first.
  void Drain();

  const std::string& path() const { return path_; }
  const Stats& stats() const { return stats_; }

 private:
  NotifyListener(std::string path, Handler handler, int fd)
      : path_(std::move(path)), handler_(std::move(handler)), fd_(fd) {}
  static void OnReadable(uv_poll_t* handle, int status, int events) noexcept;
  // Receives and handles one datagram; false when nothing was queued (EAGAIN) or on error.
  bool ReadOne();

  std::string path_;
  Handler handler_;
  int fd_;
  UvHandle<uv_poll_t> poll_;
  Stats stats_;
};

}  // namespace sup::daemon
