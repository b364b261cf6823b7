// Phase timings for the summary NOTICEs of long calls.
#pragma once

#include "pg/postgres_headers.h"

namespace cfrec::pg {

// Seconds since *last, which then moves to now.
inline double seconds_since(instr_time *last) {
    instr_time now;
    INSTR_TIME_SET_CURRENT(now);
    instr_time elapsed = now;
    INSTR_TIME_SUBTRACT(elapsed, *last);
    *last = now;
    return INSTR_TIME_GET_DOUBLE(elapsed);
}

}  // namespace cfrec::pg
