// The extension's entry: module magic and settings.
#include "pg/settings.h"

#include "pg/postgres_headers.h"

extern "C" {
PG_MODULE_MAGIC;
void _PG_init(void);
}

int cfrec_threads = 0;

extern "C" void _PG_init(void) {
    DefineCustomIntVariable("cfrec.threads", "Threads cfrec uses for training.",
                            "0 means one per CPU core. The threads only compute; "
                            "they never touch the database.",
                            &cfrec_threads, 0, 0, 256, PGC_USERSET, 0, nullptr, nullptr, nullptr);
#if PG_VERSION_NUM >= 150000
    MarkGUCPrefixReserved("cfrec");
#else
    EmitWarningsOnPlaceholders("cfrec");
#endif
}
