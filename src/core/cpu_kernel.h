// Which instruction set the hand-written kernels (half-precision serving,
// the implicit ALS row products) use. They are compiled for their instruction
// sets whatever the build's flags (GCC's target attribute) and chosen once
// per process from the CPU it runs on: a package built for any x86-64 runs
// them as fast as a -march=native build.
#pragma once

namespace cfrec::core {

enum class CpuKernel { None, Avx2, Avx512 };

// Avx512 needs AVX-512F, Avx2 needs AVX2; both need FMA and F16C. None on
// other CPUs and architectures: callers fall back to Eigen.
// CFREC_CPU_KERNEL=avx2 or =none picks a narrower kernel than the CPU allows
// (never a wider one), so the tests run each kernel on one machine.
CpuKernel cpu_kernel();

}  // namespace cfrec::core
