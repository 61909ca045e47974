// Which loop tokenizes ASCII text in Tokenize() (normalize.h): the AVX-512 VBMI2 kernel
// where the CPU has it, else the portable block loop. Both give the same tokens; tests
// run both.
#ifndef DEDUP_INTERNAL_ASCII_SIMD_H_
#define DEDUP_INTERNAL_ASCII_SIMD_H_

namespace dedup::internal {

// Whether Tokenize() uses the AVX-512 VBMI2 kernel (false on other CPUs and builds).
bool AsciiSimdActive();
// Forbids (false) or allows again (true) the kernel, process-wide. For tests.
void AllowAsciiSimd(bool allow);

}  // namespace dedup::internal

#endif  // DEDUP_INTERNAL_ASCII_SIMD_H_
