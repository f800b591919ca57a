// Error and Result<T>: the core's way to fail without printing or exiting.
// GCC 12 has no std::expected; this is the small subset the project needs.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace lv {

// An operation that could not run. `message` is a whole sentence fragment that
// already carries its context ("SUMS: line 3: ..."); each
// layer that adds context prefixes it with with_context().
struct Error {
  std::string message;
  // A stable name of the kind of failure, for reports ("not_a_zip"); may be empty.
  std::string kind = {};
};

inline Error with_context(std::string context, Error e) {
  return Error{std::move(context) + ": " + e.message, std::move(e.kind)};
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace lv
