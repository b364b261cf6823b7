// The border between C++ and Postgres, crossed in one direction only.
//
// Glue code runs every piece of C++ that may throw through call_cpp(): calls
// into the core, and its own use of standard containers (a std::bad_alloc is
// an exception too). The work runs inside try/catch; any exception is turned into plain data (a POD CoreFailure), the
// C++ frames unwind, and only then does report_core_failure() raise the
// Postgres ERROR with a SQLSTATE. So no exception reaches Postgres and no
// longjmp skips a destructor.
//
// The core never calls Postgres, so nothing needs translating the other way.
// Rules for the work passed in: no palloc, elog, SPI or CHECK_FOR_INTERRUPTS;
// cancellation is polled through core_stop_check(). Glue code outside
// call_cpp keeps only trivially destructible locals (C++ objects it needs
// longer live on the heap, owned by a memory context: see context_owned.h).
#pragma once

#include <exception>
#include <new>

#include "core/errors.h"
#include "core/parallel.h"

namespace cfrec::pg {

enum class FailureKind { None, Cancelled, InvalidArgument, DataError, OutOfMemory, Internal };

struct CoreFailure {
    FailureKind kind;
    char message[512];
    char hint[512];
};

// Raises the Postgres error for a failure; never returns.
[[noreturn]] void report_core_failure(const CoreFailure &failure);

// Fills `failure` from the exception being handled. Must be called in a catch block.
void describe_current_exception(CoreFailure &failure) noexcept;

// True when Postgres wants this statement to stop (cancel, timeout,
// termination). Only reads flags its signal handlers set; safe in the core.
bool cancel_requested();

inline const core::StopCheck &core_stop_check() {
    static const core::StopCheck check = cancel_requested;
    return check;
}

template <typename Work>
void call_cpp(Work &&work) {
    CoreFailure failure;
    failure.kind = FailureKind::None;
    try {
        work();
    } catch (...) {
        describe_current_exception(failure);
    }
    if (failure.kind != FailureKind::None) report_core_failure(failure);
}

}  // namespace cfrec::pg
