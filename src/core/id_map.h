// External ids (bigint) to dense indices, in the order ids are first seen.
#pragma once

#include <cstdint>
#include <vector>

namespace cfrec::core {

// Open addressing with linear probing: one probe per row in the common case,
// no allocation per id, which matters at tens of millions of rows.
class IdMap {
  public:
    IdMap() { rehash(1024); }

    int32_t index_of(int64_t id) {
        size_t slot = hash(id) & mask_;
        while (slots_[slot] >= 0) {
            if (ids_[slots_[slot]] == id) return slots_[slot];
            slot = (slot + 1) & mask_;
        }
        const int32_t index = static_cast<int32_t>(ids_.size());
        slots_[slot] = index;
        ids_.push_back(id);
        if (ids_.size() * 2 > slots_.size()) rehash(slots_.size() * 2);
        return index;
    }

    // The index of a known id, or -1; never inserts.
    int32_t find(int64_t id) const {
        size_t slot = hash(id) & mask_;
        while (slots_[slot] >= 0) {
            if (ids_[slots_[slot]] == id) return slots_[slot];
            slot = (slot + 1) & mask_;
        }
        return -1;
    }

    const std::vector<int64_t> &ids() const { return ids_; }  // first-seen order

  private:
    static uint64_t hash(int64_t id) {
        uint64_t z = static_cast<uint64_t>(id) * 0x9E3779B97F4A7C15ULL;
        return z ^ (z >> 29);
    }

    void rehash(size_t capacity) {
        slots_.assign(capacity, -1);
        mask_ = capacity - 1;
        for (size_t index = 0; index < ids_.size(); ++index) {
            size_t slot = hash(ids_[index]) & mask_;
            while (slots_[slot] >= 0) slot = (slot + 1) & mask_;
            slots_[slot] = static_cast<int32_t>(index);
        }
    }

    std::vector<int64_t> ids_;
    std::vector<int32_t> slots_;
    size_t mask_ = 0;
};

}  // namespace cfrec::core
