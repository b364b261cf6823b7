#include "pg/result_set.h"

namespace cfrec::pg {

ResultSet begin_result_set(FunctionCallInfo fcinfo) {
    auto *info = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    if (info == nullptr || !IsA(info, ReturnSetInfo) ||
        (info->allowedModes & SFRM_Materialize) == 0)
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("set-valued function called in context that cannot accept a set")));
    ResultSet result;
    MemoryContext previous = MemoryContextSwitchTo(info->econtext->ecxt_per_query_memory);
    if (get_call_result_type(fcinfo, nullptr, &result.desc) != TYPEFUNC_COMPOSITE)
        elog(ERROR, "cfrec: return type must be a row type");
    result.desc = CreateTupleDescCopy(result.desc);
    result.store = tuplestore_begin_heap(true, false, work_mem);
    info->returnMode = SFRM_Materialize;
    info->setResult = result.store;
    info->setDesc = result.desc;
    MemoryContextSwitchTo(previous);
    return result;
}

}  // namespace cfrec::pg
