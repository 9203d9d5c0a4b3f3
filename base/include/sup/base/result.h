// Result<T> and Error: errors as values, shaped like C++23 std::expected so that
// moving to it later is a rename. Header-only; the bottom of the dependency graph.
#pragma once

#include <cassert>
#include <cstring>
#include <string>
#include <utility>
#include <variant>

namespace sup {

enum class ErrorCode { kNotFound, kInvalidConfig, kSystem, kLibuv, kProtocol, kPermission, kBusy };

// What failed, on which object: "spawn web: /usr/bin/web". `sys` is errno (> 0) or a libuv code (< 0).
struct Error {
  ErrorCode code = ErrorCode::kSystem;
  int sys = 0;
  std::string context;

  // "context: strerror(sys)" for errno values; libuv codes are already in the context.
  std::string Message() const { return sys > 0 ? context + ": " + std::strerror(sys) : context; }
};

// An Error from an errno value; call right after the failing system call.
inline Error SystemError(std::string context, int err) {
  return Error{ErrorCode::kSystem, err, std::move(context)};
}

template <class E>
struct Unexpected {
  E error;
};
inline Unexpected<Error> Fail(Error e) { return {std::move(e)}; }

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Unexpected<Error> e) : v_(std::in_place_index<1>, std::move(e.error)) {}

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & { assert(has_value()); return std::get<0>(v_); }
  const T& value() const& { assert(has_value()); return std::get<0>(v_); }
  T&& value() && { assert(has_value()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { assert(!has_value()); return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Unexpected<Error> e) : error_(std::move(e.error)), ok_(false) {}
  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { assert(!ok_); return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace sup
