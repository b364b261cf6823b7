#include "pg/kept_plans.h"

#include <string>
#include <unordered_map>

#include "pg/cpp_guard.h"

namespace cfrec::pg {

namespace {

std::unordered_map<std::string, SPIPlanPtr> &plans() {
    static std::unordered_map<std::string, SPIPlanPtr> kept;
    return kept;
}

}  // namespace

SPIPlanPtr kept_plan(const char *sql, int nargs, Oid *types) {
    SPIPlanPtr plan = nullptr;
    call_cpp([&] {
        auto it = plans().find(sql);
        if (it != plans().end()) plan = it->second;
    });
    if (plan != nullptr) return plan;
    plan = SPI_prepare(sql, nargs, types);
    if (plan == nullptr)
        elog(ERROR, "cfrec: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
    if (SPI_keepplan(plan) != 0) elog(ERROR, "cfrec: SPI_keepplan failed");
    call_cpp([&] { plans()[sql] = plan; });
    return plan;
}

}  // namespace cfrec::pg
