// The extension's entry: module magic and settings.
#include "pg/settings.h"

#include "pg/postgres_headers.h"

extern "C" {
PG_MODULE_MAGIC;
void _PG_init(void);
}

int cfrec_threads = 0;
int cfrec_cache_size_mb = 1024;
bool cfrec_half_precision_scoring = true;

extern "C" void _PG_init(void) {
    DefineCustomIntVariable("cfrec.threads", "Threads cfrec uses for training.",
                            "0 means one per CPU core. The threads only compute; "
                            "they never touch the database.",
                            &cfrec_threads, 0, 0, 256, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("cfrec.cache_size", "Memory each backend may use to cache models.",
                            "Least recently used models are evicted beyond it; a single larger "
                            "model is still served.",
                            &cfrec_cache_size_mb, 1024, 1, INT_MAX / 2, PGC_USERSET, GUC_UNIT_MB,
                            nullptr, nullptr, nullptr);
    DefineCustomBoolVariable("cfrec.half_precision_scoring",
                             "Serve by scoring a half-precision copy of the items first.",
                             "Items the first pass cannot rule out are rescored exactly, so "
                             "results do not change; off reads the float factors only.",
                             &cfrec_half_precision_scoring, true, PGC_USERSET, 0, nullptr, nullptr,
                             nullptr);
#if PG_VERSION_NUM >= 150000
    MarkGUCPrefixReserved("cfrec");
#else
    EmitWarningsOnPlaceholders("cfrec");
#endif
}
