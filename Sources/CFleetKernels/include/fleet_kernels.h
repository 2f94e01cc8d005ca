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

/// out[i] = 0 + g[i] * (1 - y[i] * y[i]): tanh's gradient rule from its output y, as the graph adds it
/// into a zero gradient. g, y and out must not overlap.
void fleet_tanh_backward_f32(const float *g, const float *y, float *out, size_t n);

/// y[i] = GELU(x[i]) in the tanh approximation, 0.5 x (1 + tanh(0.79788456 (x + 0.044715 x^3))), with
/// FleetTensor's `Tensor.gelu()` arithmetic in its order (the tanh is fleet_tanh_f32's).
void fleet_gelu_f32(const float *x, float *y, size_t n);

/// grad[i] += g[i] * GELU'(x[i]), the gradient rule of `Tensor.gelu()` in its order. g, x and grad
/// must not overlap.
void fleet_gelu_backward_f32(const float *g, const float *x, float *grad, size_t n);

/// The per-step constants of an Adam update, rounded to float.
struct fleet_adam_scalars {
    float w1, b2, w2, eps, l2, decay, negative_step_size, bias_correction2_sqrt;
};

/// One Adam (or AdamW) step over n parameters p with gradients g and moments m, v, element by
/// element: g += l2 p (if adds_l2); p *= decay (if decays); m += w1 (g - m); v = v b2 + w2 g g;
/// p += negative_step_size m / (sqrt(v) / bias_correction2_sqrt + eps). At most one of decays (AdamW)
/// and adds_l2 (Adam's weight decay) is set. The arrays must not overlap.
void fleet_adam_f32(float *p, const float *g, float *m, float *v, size_t n, const struct fleet_adam_scalars *s,
                    int decays, int adds_l2);

/// The instruction set fleet_tanh_f32 and fleet_adam_f32 use on this CPU: "avx512f", "avx2", "sse2" (x86-64's
/// baseline) or "baseline" (other architectures).
const char *fleet_kernels_isa(void);

/// Makes every kernel use the named variant ("avx512f", "avx2", "sse2" or "baseline"), or the
/// widest this CPU has when isa is NULL: for tests that hold every variant to the same bits.
/// Returns 0 (and changes nothing) when this CPU cannot run it. Not for use while kernels run.
int fleet_kernels_use_isa(const char *isa);
