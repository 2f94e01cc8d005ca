// What the CPU can run, for choosing library kernels (OpenBLAS's) that match it.
#pragma once

/// The widest vector instruction set this CPU has, as BLAS kernels use them: 3 for AVX-512 (F, CD,
/// BW, DQ and VL, as OpenBLAS's SkylakeX kernels need), 2 for AVX2 with FMA, 1 for AVX, 0 otherwise
/// (and on other architectures).
int fleet_cpu_vector_tier(void);
