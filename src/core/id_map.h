// External ids (bigint) to dense indices, in the order ids are first seen.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace cfrec::core {

// Most sources number their users and items densely from 0 or 1: such ids
// are looked up in a table indexed by the id itself (one memory access; at
// 25M training rows 0.05-0.09 s against the hash's 0.5 s). The table covers
// [0, n) for n at most a few times the distinct ids seen, so its memory is
// bounded by the input; every other id goes to the hash: open addressing
// with linear probing, one probe per row in the common case, no allocation
// per id.
class IdMap {
  public:
    IdMap() { rehash(1024); }

    int32_t index_of(int64_t id) {
        if (in_table(id) || grow_table(id)) {
            int32_t &index = table_[static_cast<size_t>(id)];
            if (index < 0) {
                index = static_cast<int32_t>(ids_.size());
                ids_.push_back(id);
            }
            return index;
        }
        size_t slot = hash(id) & mask_;
        while (slots_[slot] >= 0) {
            if (ids_[slots_[slot]] == id) return slots_[slot];
            slot = (slot + 1) & mask_;
        }
        const int32_t index = static_cast<int32_t>(ids_.size());
        slots_[slot] = index;
        ids_.push_back(id);
        if (++hashed_ * 2 > slots_.size()) rehash(slots_.size() * 2);
        return index;
    }

    // The index of a known id, or -1; never inserts.
    int32_t find(int64_t id) const {
        if (in_table(id)) return table_[static_cast<size_t>(id)];
        size_t slot = hash(id) & mask_;
        while (slots_[slot] >= 0) {
            if (ids_[slots_[slot]] == id) return slots_[slot];
            slot = (slot + 1) & mask_;
        }
        return -1;
    }

    const std::vector<int64_t> &ids() const { return ids_; }  // first-seen order

  private:
    // The table may cover this many ids or four for each distinct id seen.
    static constexpr size_t kTableFloor = 4096;

    bool in_table(int64_t id) const { return id >= 0 && static_cast<uint64_t>(id) < table_.size(); }

    // Widens the table to cover id when that keeps within its bound. Ids the
    // hash holds that the wider table covers move into it: an id is looked
    // up in the table whenever the table covers it.
    bool grow_table(int64_t id) {
        if (id < 0) return false;
        const size_t limit = std::max(kTableFloor, 4 * (ids_.size() + 1));
        if (static_cast<uint64_t>(id) >= limit) return false;
        const size_t old_size = table_.size();
        const size_t size = std::min(limit, std::max(2 * old_size, static_cast<size_t>(id) + 1));
        table_.resize(size, -1);
        if (hashed_ > 0)
            for (size_t index = 0; index < ids_.size(); ++index) {
                const int64_t known = ids_[index];
                if (known >= 0 && static_cast<uint64_t>(known) >= old_size &&
                    static_cast<uint64_t>(known) < size)
                    table_[static_cast<size_t>(known)] = static_cast<int32_t>(index);
            }
        return true;
    }

    static uint64_t hash(int64_t id) {
        uint64_t z = static_cast<uint64_t>(id) * 0x9E3779B97F4A7C15ULL;
        return z ^ (z >> 29);
    }

    void rehash(size_t capacity) {
        slots_.assign(capacity, -1);
        mask_ = capacity - 1;
        hashed_ = 0;
        for (size_t index = 0; index < ids_.size(); ++index) {
            if (in_table(ids_[index])) continue;
            size_t slot = hash(ids_[index]) & mask_;
            while (slots_[slot] >= 0) slot = (slot + 1) & mask_;
            slots_[slot] = static_cast<int32_t>(index);
            ++hashed_;
        }
    }

    std::vector<int64_t> ids_;
    std::vector<int32_t> table_;  // by id, over [0, table_.size()); -1 where unseen
    std::vector<int32_t> slots_;  // the hash's, for ids the table does not cover
    size_t mask_ = 0;
    // Entries in slots_. Those the table has covered since stay until the
    // next rehash: harmless, as the table answers for every id it covers.
    size_t hashed_ = 0;
};

}  // namespace cfrec::core
