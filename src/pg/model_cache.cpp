#include "pg/model_cache.h"

#include <memory>
#include <string>
#include <unordered_map>

#include "core/half_scorer.h"
#include "core/linear_filter.h"
#include "core/serving.h"
#include "pg/cpp_guard.h"
#include "pg/factor_rows.h"
#include "pg/settings.h"
#include "pg/shared_cache.h"

namespace cfrec::pg {

namespace {

struct Entry {
    std::string name;
    int64 version;
    int64 base_version;  // the catalog's base_version when this entry was loaded
    std::shared_ptr<core::FactorModel> model;  // patched in place when no call holds it
    int64 bytes;
    int64 hits;
    int64 catch_ups;   // times brought up to date from changed rows only
    uint64 last_used;  // tick of the last lookup, for least-recently-used eviction
    TimestampTz loaded_at;
};

struct Cache {
    std::unordered_map<std::string, Entry> entries;
    int64 bytes = 0;
    uint64 tick = 0;
};

Cache &cache() {
    static Cache c;
    return c;
}

// Versions restart when the extension is dropped and created again, so the
// catalog table's OID is part of the key.
std::string key_of(const ModelRecord &r) {
    return std::to_string(r.catalog) + ":" + r.name;
}

int64 model_bytes(const core::FactorModel &m) {
    const int64 per_row = static_cast<int64>(m.factors()) * 4 + 8 + 4;
    return static_cast<int64>(m.user_ids.size()) * per_row +
           static_cast<int64>(m.item_ids.size()) * (per_row + 4) +
           (m.half_items ? m.half_items->bytes() : 0) + (m.linear ? m.linear->bytes() : 0);
}

// Drops least recently used entries other than `keep` until the cache fits.
void evict_beyond(int64 limit, const std::string &keep) {
    Cache &c = cache();
    while (c.bytes > limit && c.entries.size() > 1) {
        auto victim = c.entries.end();
        for (auto it = c.entries.begin(); it != c.entries.end(); ++it)
            if (it->first != keep &&
                (victim == c.entries.end() || it->second.last_used < victim->second.last_used))
                victim = it;
        c.bytes -= victim->second.bytes;
        c.entries.erase(victim);
    }
}

// Brings the cached entry up to r.version by reading only the factor rows
// written since, when refreshes (which never remove rows without moving
// base_version) are all that happened, at the entry's width. False when it
// must reload whole.
bool catch_up(const ModelRecord &r, const core::FactorModel **model) {
    // The key is made inside each guarded block: no C++ object may be alive
    // across read_factor_rows, which can raise an ERROR.
    int64 since = -1;
    call_cpp([&] {
        auto it = cache().entries.find(key_of(r));
        if (it != cache().entries.end() &&
            can_catch_up(it->second.version, it->second.base_version,
                         it->second.model->factors(), r))
            since = it->second.version;
    });
    if (since < 0) return false;
    FactorRows rows = read_factor_rows(r, since);
    bool done = false;
    call_cpp([&] {
        const std::string key = key_of(r);
        Entry &e = cache().entries.at(key);
        // Calls still holding the model (pins) keep the old one unchanged.
        std::shared_ptr<core::FactorModel> m =
            e.model.use_count() == 1 ? e.model : std::make_shared<core::FactorModel>(*e.model);
        const bool agrees = caught_up(*m, r, rows);
        Cache &c = cache();
        c.bytes -= e.bytes;
        if (!agrees) {  // out of step with the catalog: reload whole
            c.entries.erase(key);
            return;
        }
        e.bytes = model_bytes(*m);
        c.bytes += e.bytes;
        e.model = std::move(m);
        e.version = r.version;
        ++e.hits;
        ++e.catch_ups;
        e.last_used = ++c.tick;
        *model = e.model.get();
        done = true;
    });
    free_factor_rows(rows);
    return done;
}

}  // namespace

const core::FactorModel *cached_model(const ModelRecord &r) {
    const core::FactorModel *model = nullptr;
    call_cpp([&] {
        Cache &c = cache();
        auto it = c.entries.find(key_of(r));
        if (it != c.entries.end() && it->second.version == r.version &&
            same_shape(it->second.model->view(), r)) {
            model = it->second.model.get();
            ++it->second.hits;
            it->second.last_used = ++c.tick;
        }
    });
    if (model != nullptr) return model;
    if (catch_up(r, &model)) return model;

    FactorRows rows = read_factor_rows(r);
    const TimestampTz now = GetCurrentTimestamp();
    const int64 limit = static_cast<int64>(cfrec_cache_size_mb) * 1024 * 1024;
    bool too_big = false;
    call_cpp([&] {
        auto loaded = std::make_shared<core::FactorModel>();
        fill_model(*loaded, r, rows);
        model = loaded.get();

        Cache &c = cache();
        const std::string key = key_of(r);
        auto old = c.entries.find(key);
        if (old != c.entries.end()) {
            c.bytes -= old->second.bytes;
            c.entries.erase(old);
        }
        const int64 bytes = model_bytes(*loaded);
        c.entries[key] =
            Entry{r.name, r.version, r.base_version, std::move(loaded), bytes, 0, 0, ++c.tick, now};
        c.bytes += bytes;
        evict_beyond(limit, key);
        too_big = bytes > limit;
    });
    free_factor_rows(rows);
    if (too_big)
        ereport(WARNING,
                (errmsg("cfrec model \"%s\" is larger than cfrec.cache_size (%d MB)", r.name,
                        cfrec_cache_size_mb),
                 errhint("It is served anyway; raise cfrec.cache_size to keep other models "
                         "cached beside it.")));
    return model;
}

int cache_entries(CacheEntryInfo *out, int capacity) {
    int count = 0;
    call_cpp([&] {
        for (const auto &[key, e] : cache().entries) {
            if (count == capacity) break;
            out[count++] = CacheEntryInfo{e.name.c_str(), e.version,   e.bytes,
                                          e.hits,         e.catch_ups, e.loaded_at};
        }
    });
    return count;
}

int cache_size() {
    int size = 0;
    call_cpp([&] { size = static_cast<int>(cache().entries.size()); });
    return size;
}

ContextOwned<std::shared_ptr<const core::FactorModel>> *pin_model(const ModelRecord &record) {
    cached_model(record);
    auto *pin =
        ContextOwned<std::shared_ptr<const core::FactorModel>>::create(CurrentMemoryContext);
    call_cpp([&] {
        pin->object =
            new std::shared_ptr<const core::FactorModel>(cache().entries.at(key_of(record)).model);
    });
    return pin;
}

namespace {

// A private model and its view, held together for a call.
struct PrivateView {
    std::shared_ptr<const core::FactorModel> model;
    core::ModelView view;
    explicit PrivateView(std::shared_ptr<const core::FactorModel> m)
        : model(std::move(m)), view(model->view()) {}
};

}  // namespace

const core::ModelView &serving_model(const ModelRecord &record) {
    if (const core::ModelView *shared = shared_model(record)) return *shared;
    auto *pin = pin_model(record);
    auto *held = ContextOwned<PrivateView>::create(CurrentMemoryContext);
    call_cpp([&] { held->object = new PrivateView(*pin->object); });
    return held->object->view;
}

}  // namespace cfrec::pg
