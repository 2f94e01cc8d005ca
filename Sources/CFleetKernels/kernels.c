#include "fleet_kernels.h"

// No contraction into FMA: every variant must give the bits of the scalar Swift code.
#pragma clang fp contract(off)

// Swift's min and max, so that NaN goes through as it does in FastMath.tanh.
static inline __attribute__((always_inline)) float swift_min(float x, float y) { return y < x ? y : x; }
static inline __attribute__((always_inline)) float swift_max(float x, float y) { return y >= x ? y : x; }

static inline __attribute__((always_inline)) float tanh_rational(float x) {
    const float clamp = 7.905311107635498f;
    float c = swift_min(swift_max(x, -clamp), clamp);
    float x2 = c * c;
    float p = -2.76076847742355e-16f;
    p = p * x2 + 2.00018790482477e-13f;
    p = p * x2 - 8.60467152213735e-11f;
    p = p * x2 + 5.12229709037114e-08f;
    p = p * x2 + 1.48572235717979e-05f;
    p = p * x2 + 6.37261928875436e-04f;
    p = p * x2 + 4.89352455891786e-03f;
    p *= c;
    float q = 1.19825839466702e-06f;
    q = q * x2 + 1.18534705686654e-04f;
    q = q * x2 + 2.26843463243900e-03f;
    q = q * x2 + 4.89352518554385e-03f;
    return __builtin_fabsf(x) < 0.0004f ? x : p / q;
}

#define TANH_LOOP                                                   \
    for (size_t i = 0; i < n; i++) y[i] = tanh_rational(x[i]);

static void tanh_baseline(const float *x, float *y, size_t n) { TANH_LOOP }

#if defined(__x86_64__)
__attribute__((target("avx2"))) static void tanh_avx2(const float *x, float *y, size_t n) { TANH_LOOP }
__attribute__((target("avx512f"))) static void tanh_avx512(const float *x, float *y, size_t n) { TANH_LOOP }
#endif

// tanh's gradient rule from its output, added into a zero gradient as the graph does:
// out = 0 + g * (1 - y * y) (the `0 +` turns -0 into +0).
#define TANH_BACKWARD_LOOP                                          \
    for (size_t i = 0; i < n; i++) out[i] = 0.0f + g[i] * (1.0f - y[i] * y[i]);

static void tanh_backward_baseline(const float *g, const float *y, float *out, size_t n) { TANH_BACKWARD_LOOP }

#if defined(__x86_64__)
__attribute__((target("avx2"))) static void tanh_backward_avx2(const float *g, const float *y, float *out, size_t n) {
    TANH_BACKWARD_LOOP
}
__attribute__((target("avx512f"))) static void tanh_backward_avx512(const float *g, const float *y, float *out, size_t n) {
    TANH_BACKWARD_LOOP
}
#endif


// GELU in the tanh approximation, forward and its gradient rule added into a gradient, with the
// arithmetic of FleetTensor's `Tensor.gelu()` in its order (tanh_rational is FastMath.tanh's bits).
static inline __attribute__((always_inline)) float gelu_inner(float v) {
    return 0.79788456f * (v + 0.044715f * v * v * v);
}
#define GELU_LOOP                                                   \
    for (size_t i = 0; i < n; i++) {                                \
        float v = x[i];                                             \
        y[i] = 0.5f * v * (1.0f + tanh_rational(gelu_inner(v)));    \
    }
#define GELU_BACKWARD_LOOP                                                                  \
    for (size_t i = 0; i < n; i++) {                                                        \
        float v = x[i];                                                                     \
        float t = tanh_rational(gelu_inner(v));                                             \
        float d_inner = 0.79788456f * (1.0f + 3.0f * 0.044715f * v * v);                    \
        grad[i] += g[i] * (0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * d_inner);        \
    }

static void gelu_baseline(const float *x, float *y, size_t n) { GELU_LOOP }
static void gelu_backward_baseline(const float *g, const float *x, float *grad, size_t n) { GELU_BACKWARD_LOOP }

#if defined(__x86_64__)
__attribute__((target("avx2"))) static void gelu_avx2(const float *x, float *y, size_t n) { GELU_LOOP }
__attribute__((target("avx512f"))) static void gelu_avx512(const float *x, float *y, size_t n) { GELU_LOOP }
__attribute__((target("avx2"))) static void gelu_backward_avx2(const float *g, const float *x, float *grad, size_t n) {
    GELU_BACKWARD_LOOP
}
__attribute__((target("avx512f"))) static void gelu_backward_avx512(const float *g, const float *x, float *grad, size_t n) {
    GELU_BACKWARD_LOOP
}
#endif


// The Adam update, in the order of FleetTensor's `_adamUpdate` (see fleet_kernels.h). The square
// root is clang's elementwise builtin: correctly rounded, no errno, so the loop vectorizes.
static inline __attribute__((always_inline)) void adam_element(
    float *p, const float *g, float *m, float *v, size_t j, const struct fleet_adam_scalars *s, int decays, int adds_l2) {
    float pj = p[j], gj = g[j];
    if (adds_l2) gj = gj + s->l2 * pj;
    if (decays) pj = pj * s->decay;
    float mj = m[j] + s->w1 * (gj - m[j]);
    float vj = v[j] * s->b2 + s->w2 * gj * gj;
    m[j] = mj;
    v[j] = vj;
    p[j] = pj + s->negative_step_size * mj / (__builtin_elementwise_sqrt(vj) / s->bias_correction2_sqrt + s->eps);
}

#define ADAM_LOOP                                                                                          \
    if (decays) {                                                                                          \
        for (size_t j = 0; j < n; j++) adam_element(p, g, m, v, j, s, 1, 0);                               \
    } else if (adds_l2) {                                                                                  \
        for (size_t j = 0; j < n; j++) adam_element(p, g, m, v, j, s, 0, 1);                               \
    } else {                                                                                               \
        for (size_t j = 0; j < n; j++) adam_element(p, g, m, v, j, s, 0, 0);                               \
    }

#define ADAM_PARAMETERS                                                                                    \
    float *restrict p, const float *restrict g, float *restrict m, float *restrict v, size_t n,            \
        const struct fleet_adam_scalars *s, int decays, int adds_l2

static void adam_baseline(ADAM_PARAMETERS) { ADAM_LOOP }
#if defined(__x86_64__)
__attribute__((target("avx2"))) static void adam_avx2(ADAM_PARAMETERS) { ADAM_LOOP }
__attribute__((target("avx512f"))) static void adam_avx512(ADAM_PARAMETERS) { ADAM_LOOP }
#endif

// The variants, and the one in use: chosen before main (no locking on the hot path), or by
// fleet_kernels_use_isa.
struct variant {
    const char *isa;
    void (*tanh)(const float *, float *, size_t);
    void (*tanh_backward)(const float *, const float *, float *, size_t);
    void (*gelu)(const float *, float *, size_t);
    void (*gelu_backward)(const float *, const float *, float *, size_t);
    void (*adam)(ADAM_PARAMETERS);
};

static const struct variant variants[] = {
#if defined(__x86_64__)
    {"avx512f", tanh_avx512, tanh_backward_avx512, gelu_avx512, gelu_backward_avx512, adam_avx512},
    {"avx2", tanh_avx2, tanh_backward_avx2, gelu_avx2, gelu_backward_avx2, adam_avx2},
    {"sse2", tanh_baseline, tanh_backward_baseline, gelu_baseline, gelu_backward_baseline, adam_baseline},
#else
    {"baseline", tanh_baseline, tanh_backward_baseline, gelu_baseline, gelu_backward_baseline, adam_baseline},
#endif
};
static const size_t variant_count = sizeof variants / sizeof variants[0];

static int supported(const struct variant *variant) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_strcmp(variant->isa, "avx512f") == 0) return __builtin_cpu_supports("avx512f");
    if (__builtin_strcmp(variant->isa, "avx2") == 0) return __builtin_cpu_supports("avx2");
#endif
    (void)variant;
    return 1;
}

static const struct variant *widest(void) {
    for (size_t i = 0; i < variant_count; i++)
        if (supported(&variants[i])) return &variants[i];
    return &variants[variant_count - 1];
}

static const struct variant *in_use;

__attribute__((constructor)) static void choose_variant(void) { in_use = widest(); }

static const struct variant *current(void) {
    if (!in_use) in_use = widest();
    return in_use;
}

void fleet_tanh_f32(const float *x, float *y, size_t n) { current()->tanh(x, y, n); }

void fleet_tanh_backward_f32(const float *g, const float *y, float *out, size_t n) {
    current()->tanh_backward(g, y, out, n);
}

void fleet_gelu_f32(const float *x, float *y, size_t n) { current()->gelu(x, y, n); }

void fleet_gelu_backward_f32(const float *g, const float *x, float *grad, size_t n) {
    current()->gelu_backward(g, x, grad, n);
}

void fleet_adam_f32(float *p, const float *g, float *m, float *v, size_t n, const struct fleet_adam_scalars *s,
                    int decays, int adds_l2) {
    current()->adam(p, g, m, v, n, s, decays, adds_l2);
}

const char *fleet_kernels_isa(void) { return current()->isa; }

int fleet_kernels_use_isa(const char *isa) {
    if (isa == 0) {
        in_use = widest();
        return 1;
    }
    for (size_t i = 0; i < variant_count; i++) {
        if (__builtin_strcmp(variants[i].isa, isa) == 0 && supported(&variants[i])) {
            in_use = &variants[i];
            return 1;
        }
    }
    return 0;
}
