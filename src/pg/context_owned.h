// Heap C++ objects whose lifetime is tied to a Postgres memory context.
//
// Glue code must not keep C++ objects on its stack across calls that may
// raise an ERROR. Instead it keeps a ContextOwned<T> slot: the object is
// deleted when the memory context is reset or deleted, after success or after
// an error, or earlier by reset().
#pragma once

#include "pg/postgres_headers.h"

namespace cfrec::pg {

template <typename T>
struct ContextOwned {
    MemoryContextCallback callback;
    T *object;

    T *operator->() const { return object; }
    T &operator*() const { return *object; }
    void reset() {
        delete object;
        object = nullptr;
    }

    // An empty slot in `context`. Fill it inside call_cpp (new T may throw).
    static ContextOwned *create(MemoryContext context) {
        auto *slot =
            static_cast<ContextOwned *>(MemoryContextAllocZero(context, sizeof(ContextOwned)));
        slot->callback.func = [](void *arg) { static_cast<ContextOwned *>(arg)->reset(); };
        slot->callback.arg = slot;
        MemoryContextRegisterResetCallback(context, &slot->callback);
        return slot;
    }
};

}  // namespace cfrec::pg
