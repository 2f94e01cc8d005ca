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

typedef void (*tanh_kernel)(const float *, float *, size_t);

static tanh_kernel chosen_tanh(const char **isa) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) { *isa = "avx512f"; return tanh_avx512; }
    if (__builtin_cpu_supports("avx2")) { *isa = "avx2"; return tanh_avx2; }
#endif
#if defined(__x86_64__)
    *isa = "sse2";
#else
    *isa = "baseline";
#endif
    return tanh_baseline;
}

static tanh_kernel tanh_impl;
static const char *tanh_isa;

// Chosen once, before main: no locking on the hot path.
__attribute__((constructor)) static void choose_kernels(void) { tanh_impl = chosen_tanh(&tanh_isa); }

void fleet_tanh_f32(const float *x, float *y, size_t n) {
    if (!tanh_impl) tanh_impl = chosen_tanh(&tanh_isa);
    tanh_impl(x, y, n);
}

const char *fleet_kernels_isa(void) {
    if (!tanh_impl) tanh_impl = chosen_tanh(&tanh_isa);
    return tanh_isa;
}

int fleet_tanh_f32_variant(const char *isa, const float *x, float *y, size_t n) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_strcmp(isa, "avx512f") == 0) {
        if (!__builtin_cpu_supports("avx512f")) return 0;
        tanh_avx512(x, y, n);
        return 1;
    }
    if (__builtin_strcmp(isa, "avx2") == 0) {
        if (!__builtin_cpu_supports("avx2")) return 0;
        tanh_avx2(x, y, n);
        return 1;
    }
    if (__builtin_strcmp(isa, "sse2") == 0) {
        tanh_baseline(x, y, n);
        return 1;
    }
#else
    if (__builtin_strcmp(isa, "baseline") == 0) {
        tanh_baseline(x, y, n);
        return 1;
    }
#endif
    return 0;
}
