// Elementwise float kernels that FleetTensor calls over whole arrays. Each is compiled for the
// baseline x86-64 (SSE2), AVX2 and AVX-512 and picks the widest the CPU has at run time; the
// variants do the same IEEE operations in the same order (no contraction into FMA), so every
// CPU gets the same bits.
#pragma once
#include <stddef.h>

/// y[i] = tanh(x[i]) for i < n, as FleetTensor's `FastMath.tanh`: Eigen's 13/6 odd rational
/// approximation on [-7.905, 7.905], clamped outside, x itself below 4e-4 in magnitude.
/// x and y may be the same array.
void fleet_tanh_f32(const float *x, float *y, size_t n);

/// The instruction set fleet_tanh_f32 uses on this CPU: "avx512f", "avx2", "sse2" (x86-64's
/// baseline) or "baseline" (other architectures).
const char *fleet_kernels_isa(void);

/// fleet_tanh_f32 in the named variant ("avx512f", "avx2", "sse2" or "baseline"), for tests that
/// hold every variant to the same bits. Returns 0 (and writes nothing) when this CPU cannot run it.
int fleet_tanh_f32_variant(const char *isa, const float *x, float *y, size_t n);
