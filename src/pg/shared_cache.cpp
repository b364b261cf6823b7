#include "pg/shared_cache.h"

#include <memory>

#include "core/model_blob.h"
#include "pg/context_owned.h"
#include "pg/cpp_guard.h"
#include "pg/factor_rows.h"
#include "pg/linear_filter_rows.h"
#include "pg/settings.h"

extern "C" {
#include "pgstat.h"
#include "port/atomics.h"
#include "storage/condition_variable.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/dsa.h"
#if PG_VERSION_NUM >= 170000
#include "storage/dsm_registry.h"
#endif
}

namespace cfrec::pg {

namespace {

// Named after the blob layout: a build with another layout, loaded into a
// running server, starts a registry of its own instead of misreading blobs.
// Named after the blob layout and the slot layout (2: slots keep the model's
// shape), so a server that loads a new build without a restart never reads
// another build's registry.
constexpr const char *kRegistryName = "cfrec shared model cache, blob layout 4, slot layout 2";
static_assert(core::kBlobLayout == 4, "name the registry after the new layout");
constexpr int kSlots = 64;           // models cached at once, server-wide
constexpr size_t kNameBytes = 1025;  // model names have at most 1024 bytes

enum SlotState { kFree = 0, kLoading = 1, kReady = 2 };

struct Slot {
    int state;
    Oid database;
    Oid catalog;  // the cfrec_model table: new when the extension is recreated
    int64 version;
    int64 base_version;  // the catalog's base_version: refreshes since add rows only
    // The shape the catalog row gave when the entry was made, and the blob
    // holds: an entry serves a row only when all of it matches.
    int32 factors;
    int64 users;
    int64 items;
    char name[kNameBytes];
    dsa_pointer blob;
    int64 bytes;
    pg_atomic_uint32 pins;  // calls reading it now; never freed while above 0
    uint64 last_used;
    int64 hits;
    int64 catch_ups;  // versions in a row built from an older one and the changed rows
    TimestampTz loaded_at;
};

struct Registry {
    LWLock lock;  // guards everything below but the pins
    int tranche;
    ConditionVariable changed;  // a load finished or was abandoned
    bool has_area;              // false until the first load creates it
    dsa_handle area;
    int64 bytes;  // sum of the slots' bytes, loading ones included
    uint64 tick;
    Slot slots[kSlots];
};

void init_registry(void *memory) {
    auto *r = static_cast<Registry *>(memory);
    memset(r, 0, sizeof(Registry));
    r->tranche = LWLockNewTrancheId();
    LWLockInitialize(&r->lock, r->tranche);
    ConditionVariableInit(&r->changed);
    for (Slot &s : r->slots) {
        s.blob = InvalidDsaPointer;
        pg_atomic_init_u32(&s.pins, 0);
    }
}

Registry *registry_pointer = nullptr;  // set at startup (15, 16) or on first use (17+)
dsa_area *area_pointer = nullptr;      // this backend's attachment

#if PG_VERSION_NUM < 170000
shmem_request_hook_type previous_request = nullptr;
shmem_startup_hook_type previous_startup = nullptr;

void request_memory() {
    if (previous_request) previous_request();
    RequestAddinShmemSpace(sizeof(Registry));
}

void attach_registry() {
    if (previous_startup) previous_startup();
    LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
    bool found;
    void *memory = ShmemInitStruct(kRegistryName, sizeof(Registry), &found);
    if (!found) init_registry(memory);
    LWLockRelease(AddinShmemInitLock);
    registry_pointer = static_cast<Registry *>(memory);
}
#endif

Registry *registry() {
#if PG_VERSION_NUM >= 170000
    if (registry_pointer == nullptr) {
        bool found;
        registry_pointer = static_cast<Registry *>(GetNamedDSMSegment(
            kRegistryName, sizeof(Registry), init_registry, &found));
    }
#endif
    if (registry_pointer != nullptr)
        LWLockRegisterTranche(registry_pointer->tranche, "cfrec_cache");
    return registry_pointer;
}

// This backend's attachment to the cache's DSA area, created by the first
// backend that needs it. Under the registry's lock.
dsa_area *area(Registry *r) {
    if (area_pointer != nullptr) return area_pointer;
    MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
    if (!r->has_area) {
        area_pointer = dsa_create(r->tranche);
        dsa_pin(area_pointer);  // outlives this backend
        r->area = dsa_get_handle(area_pointer);
        r->has_area = true;
    } else {
        area_pointer = dsa_attach(r->area);
    }
    dsa_pin_mapping(area_pointer);  // stays mapped for the session
    MemoryContextSwitchTo(old);
    return area_pointer;
}

bool same_model(const Slot &s, const ModelRecord &r) {
    return s.database == MyDatabaseId && s.catalog == r.catalog && strcmp(s.name, r.name) == 0;
}

Slot *find(Registry *reg, const ModelRecord &r) {
    for (Slot &s : reg->slots)
        if (s.state != kFree && s.version == r.version && same_model(s, r) &&
            s.factors == r.factors && s.users == r.users && s.items == r.items)
            return &s;
    return nullptr;
}

void free_slot(Registry *reg, Slot *s) {  // under the lock
    if (DsaPointerIsValid(s->blob)) dsa_free(area(reg), s->blob);
    reg->bytes -= s->bytes;
    s->blob = InvalidDsaPointer;
    s->bytes = 0;
    s->state = kFree;
}

// Frees least recently used ready, unpinned slots other than `keep` until
// `needed` more bytes fit under `limit`. Under the lock.
bool make_room(Registry *reg, int64 needed, int64 limit, const Slot *keep) {
    while (reg->bytes + needed > limit) {
        Slot *victim = nullptr;
        for (Slot &s : reg->slots)
            if (&s != keep && s.state == kReady && pg_atomic_read_u32(&s.pins) == 0 &&
                (victim == nullptr || s.last_used < victim->last_used))
                victim = &s;
        if (victim == nullptr) return false;
        free_slot(reg, victim);
    }
    return true;
}

// A free slot, or the least recently used unpinned ready one, freed. Under the lock.
Slot *claim_slot(Registry *reg) {
    for (Slot &s : reg->slots)
        if (s.state == kFree) return &s;
    Slot *victim = nullptr;
    for (Slot &s : reg->slots)
        if (s.state == kReady && pg_atomic_read_u32(&s.pins) == 0 &&
            (victim == nullptr || s.last_used < victim->last_used))
            victim = &s;
    if (victim != nullptr) free_slot(reg, victim);
    return victim;
}

// Pins this backend holds, per slot: given back when a call's memory
// context is reset, or all at once when the backend exits (a FATAL error
// resets no memory context).
int held_pins[kSlots];
bool exit_callback_registered = false;

void release_held_pins(int, Datum) {
    if (registry_pointer == nullptr) return;
    for (int j = 0; j < kSlots; ++j)
        if (held_pins[j] > 0) {
            pg_atomic_fetch_sub_u32(&registry_pointer->slots[j].pins, held_pins[j]);
            held_pins[j] = 0;
        }
}

// Once per backend, before any pin, and outside a load's own exit callback
// (PG_ENSURE_ERROR_CLEANUP needs its callback to stay the latest).
void give_back_pins_at_exit() {
    if (exit_callback_registered) return;
    before_shmem_exit(release_held_pins, 0);
    exit_callback_registered = true;
}

void hold_pin(Registry *reg, Slot *s) {  // the slot's pin count was raised already
    ++held_pins[s - reg->slots];
}

struct Unpin {
    MemoryContextCallback callback;
    Registry *reg;
    Slot *slot;
};

void unpin(void *arg) {
    auto *u = static_cast<Unpin *>(arg);
    int &held = held_pins[u->slot - u->reg->slots];
    if (held == 0) return;  // given back already, at exit
    --held;
    pg_atomic_fetch_sub_u32(&u->slot->pins, 1);
}

// The view of a ready, pinned slot, for this call: the pin is dropped when
// the current memory context is reset.
struct SharedView {
    core::BlobReaders readers;  // before view: read_blob fills them
    core::ModelView view;
    explicit SharedView(const void *blob) : view(core::read_blob(blob, readers)) {}
};

// Keeps the pin just taken on `s` (its count raised) until the current
// memory context is reset.
void pin_for_call(Registry *reg, Slot *s) {
    hold_pin(reg, s);
    auto *unpin_later = static_cast<Unpin *>(palloc(sizeof(Unpin)));
    unpin_later->reg = reg;
    unpin_later->slot = s;
    unpin_later->callback.func = unpin;
    unpin_later->callback.arg = unpin_later;
    MemoryContextRegisterResetCallback(CurrentMemoryContext, &unpin_later->callback);
}

const core::ModelView *view_of(Registry *reg, Slot *s) {
    pin_for_call(reg, s);
    const void *blob = dsa_get_address(area(reg), s->blob);
    auto *holder = ContextOwned<SharedView>::create(CurrentMemoryContext);
    call_cpp([&] { holder->object = new SharedView(blob); });
    return &holder->object->view;
}

// Given up halfway, by an error, a cancel or the backend's exit: the slot
// and whatever was allocated for it are freed, and waiters look again.
void abandon(int, Datum arg) {
    Registry *reg = registry_pointer;
    Slot *s = reinterpret_cast<Slot *>(DatumGetPointer(arg));
    LWLockReleaseAll();  // an error's own cleanup comes later
    LWLockAcquire(&reg->lock, LW_EXCLUSIVE);
    if (s->state == kLoading) free_slot(reg, s);
    LWLockRelease(&reg->lock);
    ConditionVariableBroadcast(&reg->changed);
}

core::BlobSource source_of(const ModelRecord &r, const FactorRows &rows) {
    const StoredSide &users = rows.users, &items = rows.items;
    core::BlobSource s;
    s.feedback = r.feedback;
    s.global_mean = r.global_mean;
    s.rating_min = r.rating_min;
    s.rating_max = r.rating_max;
    s.factors = rows.width;
    s.users = users.count;
    s.user_ids = users.ids;
    s.user_bias = users.bias;
    s.user_factors = users.factors;
    s.items = items.count;
    s.item_ids = items.ids;
    s.item_bias = items.bias;
    s.item_factors = items.factors;
    s.item_counts = items.interactions;
    return s;
}

// The last model version this backend found larger than the whole cache:
// not read again only to find that out.
struct TooBig {
    Oid catalog = InvalidOid;
    int64 version = -1;
    char name[kNameBytes] = "";
} too_big;

// Lays `source` out in a new blob for `slot` (claimed, loading) and makes it
// ready. Returns the pinned view, or NULL (slot freed) when it does not fit.
// Under the caller's PG_ENSURE_ERROR_CLEANUP(abandon).
const core::ModelView *publish(Registry *reg, Slot *slot, const core::BlobSource &source,
                               const ModelRecord &r, int64 limit, int64 catch_ups = 0) {
    auto *extras = ContextOwned<core::BlobExtras>::create(CurrentMemoryContext);
    size_t bytes = 0;
    call_cpp([&] {
        extras->object = new core::BlobExtras(source, true);
        bytes = core::blob_bytes(source, **extras);
    });
    LWLockAcquire(&reg->lock, LW_EXCLUSIVE);
    if (static_cast<int64>(bytes) > limit) {
        too_big.catalog = r.catalog;
        too_big.version = r.version;
        strlcpy(too_big.name, r.name, kNameBytes);
    }
    const bool fits = static_cast<int64>(bytes) <= limit &&
                      make_room(reg, static_cast<int64>(bytes), limit, slot);
    if (fits) {
        reg->bytes += static_cast<int64>(bytes);  // reserved while it is written
        slot->bytes = static_cast<int64>(bytes);
    }
    LWLockRelease(&reg->lock);
    dsa_pointer blob = InvalidDsaPointer;
    if (fits) blob = dsa_allocate_extended(area(reg), bytes, DSA_ALLOC_HUGE | DSA_ALLOC_NO_OOM);
    slot->blob = blob;  // from here an abandoned load frees it too
    if (DsaPointerIsValid(blob)) {
        void *address = dsa_get_address(area(reg), blob);
        call_cpp([&] { core::write_blob(source, **extras, address); });
    }
    extras->reset();
    LWLockAcquire(&reg->lock, LW_EXCLUSIVE);
    if (DsaPointerIsValid(blob)) {
        slot->state = kReady;
        pg_atomic_write_u32(&slot->pins, 1);
        slot->last_used = ++reg->tick;
        slot->hits = 1;
        slot->catch_ups = catch_ups;
        slot->loaded_at = GetCurrentTimestamp();
    } else {
        free_slot(reg, slot);
    }
    LWLockRelease(&reg->lock);
    ConditionVariableBroadcast(&reg->changed);
    return DsaPointerIsValid(blob) ? view_of(reg, slot) : nullptr;
}

// Reads all the model's rows and publishes them. A linear filter's operator
// is built here once (as the private cache would), and laid out in the blob
// with the rows. Under the caller's PG_ENSURE_ERROR_CLEANUP(abandon).
const core::ModelView *publish_whole(Registry *reg, Slot *slot, const ModelRecord &r, int64 limit) {
    FactorRows rows = read_factor_rows(r);
    if (rows.linear.count < 0) {
        const core::ModelView *view = publish(reg, slot, source_of(r, rows), r, limit);
        free_factor_rows(rows);
        return view;
    }
    auto *model = ContextOwned<core::FactorModel>::create(CurrentMemoryContext);
    core::BlobSource source;
    call_cpp([&] {
        model->object = new core::FactorModel();
        fill_model(**model, r, rows);
        source = core::source_of(**model);
    });
    free_factor_rows(rows);
    const core::ModelView *view = publish(reg, slot, source, r, limit);
    model->reset();
    return view;
}

// Reads the model's rows into a new blob for `slot`.
const core::ModelView *load(Registry *reg, Slot *slot, const ModelRecord &r, int64 limit) {
    const core::ModelView *volatile view = nullptr;
    PG_ENSURE_ERROR_CLEANUP(abandon, PointerGetDatum(slot));
    { view = publish_whole(reg, slot, r, limit); }
    PG_END_ENSURE_ERROR_CLEANUP(abandon, PointerGetDatum(slot));
    return view;
}

// Builds the version `r` describes for `slot` from an older shared version
// `base` (pinned for this call) and the rows refreshes wrote since: one
// backend reads those few rows and lays the result out once, instead of
// every backend loading or patching a copy of its own. Falls back to
// reading the whole model when the result disagrees with the catalog.
const core::ModelView *catch_up(Registry *reg, Slot *slot, Slot *base, const ModelRecord &r,
                                int64 limit) {
    const core::ModelView *volatile view = nullptr;
    PG_ENSURE_ERROR_CLEANUP(abandon, PointerGetDatum(slot));
    {
        FactorRows rows = read_factor_rows(r, base->version);
        const void *old_blob = dsa_get_address(area(reg), base->blob);
        auto *model = ContextOwned<core::FactorModel>::create(CurrentMemoryContext);
        bool agrees = false;
        call_cpp([&] {
            core::BlobReaders unused;
            model->object =
                new core::FactorModel(core::owned_copy(core::read_blob(old_blob, unused)));
            agrees = caught_up(**model, r, rows);
        });
        free_factor_rows(rows);
        if (agrees) {
            core::BlobSource source;
            call_cpp([&] { source = core::source_of(**model); });
            view = publish(reg, slot, source, r, limit, base->catch_ups + 1);
        } else {
            model->reset();
            view = publish_whole(reg, slot, r, limit);
        }
    }
    PG_END_ENSURE_ERROR_CLEANUP(abandon, PointerGetDatum(slot));
    return view;
}

}  // namespace

void shared_cache_init() {
#if PG_VERSION_NUM < 170000
    if (!process_shared_preload_libraries_in_progress) return;
    previous_request = shmem_request_hook;
    shmem_request_hook = request_memory;
    previous_startup = shmem_startup_hook;
    shmem_startup_hook = attach_registry;
#endif
}

const core::ModelView *shared_model(const ModelRecord &r) {
    const int64 limit = static_cast<int64>(cfrec_shared_cache_size_mb) * 1024 * 1024;
    if (limit == 0 || strlen(r.name) >= kNameBytes) return nullptr;
    // A model that cannot fit is not read from its tables only to find out.
    const int64 f = r.factors;
    const int64 estimate = r.users * (12 + 4 * f) + r.items * (24 + 6 * f) + 4 * f * f;
    if (estimate > limit || (too_big.catalog == r.catalog && too_big.version == r.version &&
                             strcmp(too_big.name, r.name) == 0))
        return nullptr;
    Registry *reg = registry();
    if (reg == nullptr) return nullptr;
    give_back_pins_at_exit();
    for (;;) {
        LWLockAcquire(&reg->lock, LW_EXCLUSIVE);
        Slot *s = find(reg, r);
        if (s != nullptr && s->state == kReady) {
            pg_atomic_fetch_add_u32(&s->pins, 1);
            s->last_used = ++reg->tick;
            ++s->hits;
            LWLockRelease(&reg->lock);
            return view_of(reg, s);
        }
        if (s != nullptr) {  // another backend is loading it: wait for it
            ConditionVariablePrepareToSleep(&reg->changed);
            LWLockRelease(&reg->lock);
            ConditionVariableSleep(&reg->changed, PG_WAIT_EXTENSION);  // cancellable
            ConditionVariableCancelSleep();
            continue;
        }
        // The newest older version that refreshes since only added to, to
        // catch up from; pinned for this call. Other older versions are only
        // wanted by older snapshots: freed now, unless a call reads one.
        // A linear filter is never refreshed in place (linear_filter_rows.h):
        // every version of one is loaded whole.
        Slot *base = nullptr;
        for (Slot &old : reg->slots)
            if (old.state == kReady && same_model(old, r) && !is_linear_filter(r) &&
                can_catch_up(old.version, old.base_version, old.factors, r) &&
                (base == nullptr || old.version > base->version))
                base = &old;
        if (base != nullptr) {
            pg_atomic_fetch_add_u32(&base->pins, 1);
            pin_for_call(reg, base);
        }
        for (Slot &old : reg->slots)
            if (&old != base && old.state == kReady && old.version < r.version &&
                same_model(old, r) && pg_atomic_read_u32(&old.pins) == 0)
                free_slot(reg, &old);
        s = claim_slot(reg);
        if (s == nullptr) {  // every slot in use by a call: serve privately
            LWLockRelease(&reg->lock);
            return nullptr;
        }
        s->state = kLoading;
        s->database = MyDatabaseId;
        s->catalog = r.catalog;
        s->version = r.version;
        s->base_version = r.base_version;
        s->factors = r.factors;
        s->users = r.users;
        s->items = r.items;
        strlcpy(s->name, r.name, kNameBytes);
        s->blob = InvalidDsaPointer;
        s->bytes = 0;
        pg_atomic_write_u32(&s->pins, 0);
        area(reg);  // created or attached before the lock is let go
        LWLockRelease(&reg->lock);
        return base != nullptr ? catch_up(reg, s, base, r, limit)
                               : load(reg, s, r, limit);
    }
}

int shared_entries(SharedEntryInfo *out, int capacity) {
    Registry *reg = registry();  // on 17 and later, looked up on first use
    if (reg == nullptr) return 0;
    int count = 0;
    LWLockAcquire(&reg->lock, LW_SHARED);
    for (const Slot &s : reg->slots) {
        if (count == capacity) break;
        if (s.state != kReady || s.database != MyDatabaseId) continue;
        SharedEntryInfo &e = out[count++];
        strlcpy(e.name, s.name, kNameBytes);
        e.version = s.version;
        e.bytes = s.bytes;
        e.hits = s.hits;
        e.catch_ups = s.catch_ups;
        e.loaded_at = s.loaded_at;
    }
    LWLockRelease(&reg->lock);
    return count;
}

}  // namespace cfrec::pg
