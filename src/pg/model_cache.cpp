#include "pg/model_cache.h"

#include <memory>
#include <string>
#include <unordered_map>

#include "pg/core_call.h"

namespace cfrec::pg {

namespace {

struct Entry {
    int64 version;
    std::unique_ptr<core::FactorModel> model;
};

std::unordered_map<std::string, Entry> &entries() {
    static std::unordered_map<std::string, Entry> cache;
    return cache;
}

// Versions restart when the extension is dropped and created again, so the
// catalog table's OID is part of the key.
std::string key_of(const ModelRecord &r) {
    return std::to_string(r.catalog) + ":" + r.name;
}

void copy_side(const StoredSide &side, int f, std::vector<int64_t> &ids, std::vector<float> &bias,
               core::FactorMatrix &factors) {
    ids.assign(side.ids, side.ids + side.count);
    bias.assign(side.bias, side.bias + side.count);
    factors = Eigen::Map<const core::FactorMatrix>(side.factors, side.count, f);
}

}  // namespace

const core::FactorModel *cached_model(const char *schema, const ModelRecord &r) {
    const core::FactorModel *model = nullptr;
    call_core([&] {
        auto it = entries().find(key_of(r));
        if (it != entries().end() && it->second.version == r.version)
            model = it->second.model.get();
    });
    if (model != nullptr) return model;

    StoredSide users = read_side(schema, r, false);
    StoredSide items = read_side(schema, r, true);
    call_core([&] {
        auto loaded = std::make_unique<core::FactorModel>();
        loaded->feedback = strcmp(r.feedback, "implicit") == 0 ? core::Feedback::Implicit
                                                               : core::Feedback::Explicit;
        loaded->global_mean = r.global_mean;
        loaded->rating_min = r.rating_min;
        loaded->rating_max = r.rating_max;
        copy_side(users, r.factors, loaded->user_ids, loaded->user_bias, loaded->user_factors);
        copy_side(items, r.factors, loaded->item_ids, loaded->item_bias, loaded->item_factors);
        loaded->item_counts.assign(items.interactions, items.interactions + items.count);
        model = loaded.get();
        entries()[key_of(r)] = Entry{r.version, std::move(loaded)};
    });
    pfree(users.ids);
    pfree(users.bias);
    pfree(users.factors);
    pfree(items.ids);
    pfree(items.bias);
    pfree(items.factors);
    pfree(items.interactions);
    return model;
}

}  // namespace cfrec::pg
