// Ownership of libuv handles: UvHandle<H> is a unique_ptr whose deleter closes the handle.
// libuv may touch a handle until its close_cb has run (docs/src/handle.rst), so the uv struct
// lives on the heap and close_cb deletes it; the C++ owner may die first. Clearing `data`
// turns any late callback into a no-op. Take ownership only after uv_*_init returned 0.
#pragma once

#include <uv.h>

#include <memory>

namespace sup::daemon {

template <class H>
struct UvCloser {
  void operator()(H* h) const noexcept {
    h->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(h),
             [](uv_handle_t* p) { delete reinterpret_cast<H*>(p); });
  }
};

template <class H>
using UvHandle = std::unique_ptr<H, UvCloser<H>>;

}  // namespace sup::daemon
