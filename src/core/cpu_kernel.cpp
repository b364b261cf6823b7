#include "core/cpu_kernel.h"

#include <cstdlib>
#include <cstring>

namespace cfrec::core {

namespace {

CpuKernel detect() {
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma") ||
        !__builtin_cpu_supports("f16c"))
        return CpuKernel::None;
    const char *wanted = std::getenv("CFREC_CPU_KERNEL");
    if (wanted != nullptr && std::strcmp(wanted, "none") == 0) return CpuKernel::None;
    const bool avx2_only = wanted != nullptr && std::strcmp(wanted, "avx2") == 0;
    if (__builtin_cpu_supports("avx512f") && !avx2_only) return CpuKernel::Avx512;
    return CpuKernel::Avx2;
#else
    return CpuKernel::None;
#endif
}

}  // namespace

CpuKernel cpu_kernel() {
    static const CpuKernel chosen = detect();
    return chosen;
}

}  // namespace cfrec::core
