// The extension's entry: module magic and settings.
#include "pg/settings.h"

#include "pg/postgres_headers.h"
#include "pg/shared_cache.h"

extern "C" {
PG_MODULE_MAGIC;
void _PG_init(void);
}

#include <unistd.h>

int cfrec_threads = 0;
int cfrec_cache_size_mb = 1024;
int cfrec_shared_cache_size_mb = 1024;
bool cfrec_half_precision_scoring = true;
int cfrec_max_training_memory_mb = 1024;

namespace {

// A quarter of the machine's memory, in MB (1 GB when it cannot be told).
int quarter_of_memory_mb() {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0) return 1024;
    const long long mb = static_cast<long long>(pages) * page / 4 / (1024 * 1024);
    return static_cast<int>(Max(64LL, Min(mb, static_cast<long long>(INT_MAX / 2))));
}

}  // namespace

extern "C" void _PG_init(void) {
    cfrec_max_training_memory_mb = quarter_of_memory_mb();
    DefineCustomIntVariable("cfrec.threads", "Threads cfrec uses for training.",
                            "0 means one per CPU core. The threads only compute; "
                            "they never touch the database.",
                            &cfrec_threads, 0, 0, 256, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("cfrec.cache_size", "Memory each backend may use to cache models.",
                            "Least recently used models are evicted beyond it; a single larger "
                            "model is still served.",
                            &cfrec_cache_size_mb, 1024, 1, INT_MAX / 2, PGC_USERSET, GUC_UNIT_MB,
                            nullptr, nullptr, nullptr);
    DefineCustomIntVariable("cfrec.shared_cache_size",
                            "Memory the server may use to keep models in shared memory.",
                            "One copy of each model serves every backend; least recently used "
                            "models are evicted beyond it, and a larger model is served from "
                            "each backend's own cache. 0 turns the shared cache off.",
                            &cfrec_shared_cache_size_mb, 1024, 0, INT_MAX / 2, PGC_SUSET,
                            GUC_UNIT_MB, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("cfrec.max_training_memory",
                            "Memory one training may use beyond its input data.",
                            "A training whose estimated need is larger is refused before it "
                            "allocates (54000). The default is a quarter of the machine's memory.",
                            &cfrec_max_training_memory_mb, cfrec_max_training_memory_mb, 1,
                            INT_MAX / 2, PGC_SUSET, GUC_UNIT_MB, nullptr, nullptr, nullptr);
    DefineCustomBoolVariable("cfrec.half_precision_scoring",
                             "Serve by scoring a half-precision copy of the items first.",
                             "Items the first pass cannot rule out are rescored exactly, so "
                             "results do not change; off reads the float factors only.",
                             &cfrec_half_precision_scoring, true, PGC_USERSET, 0, nullptr, nullptr,
                             nullptr);
    cfrec::pg::shared_cache_init();
    MarkGUCPrefixReserved("cfrec");
}
