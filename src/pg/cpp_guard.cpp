#include "pg/cpp_guard.h"

#include <cstring>

#include "pg/postgres_headers.h"

namespace cfrec::pg {

namespace {

void copy_text(char *to, size_t size, const char *from) {
    std::strncpy(to, from, size - 1);
    to[size - 1] = '\0';
}

void set(CoreFailure &failure, FailureKind kind, const char *message, const char *hint) {
    failure.kind = kind;
    copy_text(failure.message, sizeof failure.message, message);
    copy_text(failure.hint, sizeof failure.hint, hint);
}

}  // namespace

bool cancel_requested() {
    return InterruptPending && (QueryCancelPending || ProcDiePending);
}

void describe_current_exception(CoreFailure &failure) noexcept {
    try {
        throw;
    } catch (const core::Cancelled &) {
        set(failure, FailureKind::Cancelled, "cfrec computation was interrupted", "");
    } catch (const core::Error &e) {
        set(failure,
            e.kind() == core::ErrorKind::DataError ? FailureKind::DataError
                                                   : FailureKind::InvalidArgument,
            e.what(), e.hint().c_str());
    } catch (const std::bad_alloc &) {
        set(failure, FailureKind::OutOfMemory, "cfrec ran out of memory",
            "Use fewer factors, or train on fewer users and items.");
    } catch (const std::exception &e) {
        set(failure, FailureKind::Internal, e.what(), "");
    } catch (...) {
        set(failure, FailureKind::Internal, "unknown C++ exception", "");
    }
}

void report_core_failure(const CoreFailure &failure) {
    int code = ERRCODE_INTERNAL_ERROR;
    switch (failure.kind) {
        case FailureKind::Cancelled:
            // Let Postgres raise its own error: canceling statement, timeout, ...
            CHECK_FOR_INTERRUPTS();
            code = ERRCODE_QUERY_CANCELED;
            break;
        case FailureKind::InvalidArgument:
            code = ERRCODE_INVALID_PARAMETER_VALUE;
            break;
        case FailureKind::DataError:
            code = ERRCODE_DATA_EXCEPTION;
            break;
        case FailureKind::OutOfMemory:
            code = ERRCODE_OUT_OF_MEMORY;
            break;
        case FailureKind::None:
        case FailureKind::Internal:
            code = ERRCODE_INTERNAL_ERROR;
            break;
    }
    ereport(ERROR, (errcode(code), errmsg("%s", failure.message),
                    failure.hint[0] ? errhint("%s", failure.hint) : 0));
    pg_unreachable();
}

}  // namespace cfrec::pg
