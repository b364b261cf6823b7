#include "pg/pinned_spi.h"

namespace cfrec::pg {

namespace {

constexpr const char *kPinned = "pg_catalog, pg_temp";

// The caller's search_path at each pin still in force, innermost last. An
// ERROR leaves entries behind; the GUC nesting levels they name are reused
// after the abort, so a new pin first drops every entry at its level or deeper.
struct Pin {
    int nest_level;
    char *caller_path;
};
constexpr int kMaxPins = 32;
Pin pins[kMaxPins];
int pin_count = 0;

void drop_pins_from(int nest_level) {
    while (pin_count > 0 && pins[pin_count - 1].nest_level >= nest_level)
        pfree(pins[--pin_count].caller_path);
}

}  // namespace

int pin_search_path() {
    const int level = NewGUCNestLevel();
    drop_pins_from(level);
    if (pin_count == kMaxPins) elog(ERROR, "cfrec: search_path pinned too deeply");
    // A pin inside a pin keeps the outermost caller's path.
    const char *caller = pin_count > 0 ? pins[pin_count - 1].caller_path : namespace_search_path;
    pins[pin_count++] = Pin{level, MemoryContextStrdup(TopMemoryContext, caller)};
    // As PostgreSQL 17 pins it for maintenance commands; pg_temp named last
    // so that a temporary table never shadows a catalog.
    (void)set_config_option("search_path", kPinned, PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
                            true, 0, false);
    return level;
}

void unpin_search_path(int nest_level) {
    AtEOXact_GUC(true, nest_level);
    drop_pins_from(nest_level);
}

void restore_caller_search_path() {
    if (pin_count == 0) return;
    (void)set_config_option("search_path", pins[pin_count - 1].caller_path, PGC_USERSET,
                            PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
}

PinnedSpi connect_spi() {
    SPI_connect();
    return PinnedSpi{pin_search_path()};
}

void finish_spi(const PinnedSpi &spi) {
    unpin_search_path(spi.nest_level);
    SPI_finish();
}

}  // namespace cfrec::pg
