// Exceptions the core throws. The Postgres glue catches them at one border
// (src/pg/cpp_guard.h) and maps each kind to a SQLSTATE there.
#pragma once

#include <stdexcept>
#include <string>

namespace cfrec::core {

enum class ErrorKind {
    InvalidArgument,  // a parameter is out of range or inconsistent
    DataError,        // the training data itself is unusable
};

class Error : public std::runtime_error {
  public:
    Error(ErrorKind kind, const std::string &message, std::string hint = "")
        : std::runtime_error(message), kind_(kind), hint_(std::move(hint)) {}
    ErrorKind kind() const { return kind_; }
    const std::string &hint() const { return hint_; }

  private:
    ErrorKind kind_;
    std::string hint_;
};

// Thrown when a stop check asked the core to give up. The glue turns it back
// into Postgres' own cancel or timeout error once the C++ frames are gone.
class Cancelled : public std::exception {
  public:
    const char *what() const noexcept override { return "cancelled"; }
};

}  // namespace cfrec::core
