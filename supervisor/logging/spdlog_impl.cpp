// spdlog's implementation, compiled once for every target that logs (the sup_spdlog library,
// CMakeLists.txt). Debian ships spdlog as a shared library and as headers; supd uses the
// headers, so that it loads no libspdlog.so (and through it no shared libstdc++), and with
// SPDLOG_COMPILED_LIB defined everywhere the implementation is compiled here alone, not in
// each of the ~20 files that log (header-only doubled their compile time). This mirrors
// spdlog's own src/spdlog.cpp and src/color_sinks.cpp.
#ifndef SPDLOG_COMPILED_LIB
#error "sup_spdlog compiles spdlog's implementation: SPDLOG_COMPILED_LIB must be defined"
#endif

#include <mutex>

#include <spdlog/common-inl.h>
#include <spdlog/details/backtracer-inl.h>
#include <spdlog/details/log_msg-inl.h>
#include <spdlog/details/log_msg_buffer-inl.h>
#include <spdlog/details/null_mutex.h>
#include <spdlog/details/os-inl.h>
#include <spdlog/details/periodic_worker-inl.h>
#include <spdlog/details/registry-inl.h>
#include <spdlog/logger-inl.h>
#include <spdlog/pattern_formatter-inl.h>
#include <spdlog/sinks/ansicolor_sink-inl.h>
#include <spdlog/sinks/base_sink-inl.h>
#include <spdlog/sinks/sink-inl.h>
#include <spdlog/spdlog-inl.h>

template spdlog::logger::logger(std::string name, sinks_init_list::iterator begin,
                                sinks_init_list::iterator end);
template class spdlog::sinks::base_sink<std::mutex>;
template class spdlog::sinks::base_sink<spdlog::details::null_mutex>;

// The registry's default logger writes to stdout in colour.
template class spdlog::sinks::ansicolor_sink<spdlog::details::console_mutex>;
template class spdlog::sinks::ansicolor_stdout_sink<spdlog::details::console_mutex>;
template class spdlog::sinks::ansicolor_stderr_sink<spdlog::details::console_mutex>;
