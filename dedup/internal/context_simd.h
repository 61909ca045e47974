// Which code computes the context sketches of ComputeLineKeys() (boilerplate.h): the
// AVX-512 kernels where the CPU has AVX-512F and DQ, else portable code. Both give the
// same keys and sketches; tests run both.
#ifndef DEDUP_INTERNAL_CONTEXT_SIMD_H_
#define DEDUP_INTERNAL_CONTEXT_SIMD_H_

namespace dedup::internal {

// Whether ComputeLineKeys() uses the AVX-512 kernels (false on other CPUs and builds).
bool ContextSimdActive();
// Forbids (false) or allows again (true) the AVX-512 kernels, process-wide. For tests.
void AllowContextSimd(bool allow);

}  // namespace dedup::internal

#endif  // DEDUP_INTERNAL_CONTEXT_SIMD_H_
