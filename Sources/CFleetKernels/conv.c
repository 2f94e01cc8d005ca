#include "fleet_conv.h"
#include "fleet_kernels.h"

#include <stdlib.h>
#include <string.h>

// No contraction into FMA: the SSE2, AVX2 and AVX-512 variants below must give the same bits.
#pragma clang fp contract(off)

// Every plane is handled on "phase planes": the zero-padded input plane split by stride s into s x s
// planes, phase (rp, cp) holding padded[r * s + rp][c * s + cp] at [r][c]. Kernel tap (ki, kj) then
// reads phase (ki % s, kj % s) at [oh + ki / s][ow + kj / s] for output (oh, ow): with outputs laid
// out at the phase planes' width, out_full[i] += w * phase[i + (ki / s) * width + kj / s] is one
// contiguous loop over the whole plane for every tap, long enough to vectorize even for the 3x3
// planes of a network's last stage. The columns past out_width are computed and dropped; the phase
// planes have zero rows and elements of slack at their end for those reads, and for the loops'
// lengths rounded up to multiples of 16 (whose extra outputs are dropped too).

// The phase planes' geometry.
struct phases {
    int stride, width, rows, size;  // width and rows of one phase plane; size: its elements with slack
    int n;  // elements of a full-width output plane, rounded up to a multiple of 16 (no loop tails)
};

static inline __attribute__((always_inline)) struct phases phases_of(const struct fleet_depthwise_shape *s) {
    struct phases p;
    p.stride = s->stride;
    p.width = (s->width + 2 * s->padding + s->stride - 1) / s->stride;
    p.rows = s->out_height + (s->kernel_height - 1) / s->stride + 1;
    p.n = (s->out_height * p.width + 15) / 16 * 16;
    p.size = p.rows * p.width + s->kernel_width + 16;
    return p;
}

// The phase plane of tap (ki, kj), offset to where output 0 reads it.
static inline const float *tap_source(const struct fleet_depthwise_shape *s, const struct phases *p,
                                      const float *planes, int ki, int kj) {
    int phase = (ki % p->stride) * p->stride + kj % p->stride;
    return planes + (size_t)phase * p->size + (ki / p->stride) * p->width + kj / p->stride;
}

// Writes one input plane into the phase planes (their padding and slack stay zero), phase column by
// phase column (no division per element).
static inline __attribute__((always_inline)) void fill_phases(const struct fleet_depthwise_shape *s,
                                                              const struct phases *p, const float *plane,
                                                              float *planes) {
    for (int h = 0; h < s->height; h++) {
        int row = h + s->padding;
        float *phase_row = planes + (size_t)(row % p->stride) * p->stride * p->size + (row / p->stride) * p->width;
        const float *source = plane + h * s->width - s->padding;  // source[col] for padded column col
        for (int cp = 0; cp < p->stride; cp++) {
            float *target = phase_row + (size_t)cp * p->size;
            // Phase columns c with padding <= c * stride + cp < padding + width.
            int first = s->padding > cp ? (s->padding - cp + p->stride - 1) / p->stride : 0;
            int last = s->padding + s->width - 1 - cp;
            int end = last < 0 ? 0 : last / p->stride + 1;
            for (int c = first; c < end; c++) target[c] = source[c * p->stride + cp];
        }
    }
}

// Adds the phase planes' interior (the input positions) into one input plane: fill_phases's adjoint.
static inline __attribute__((always_inline)) void add_from_phases(const struct fleet_depthwise_shape *s,
                                                                  const struct phases *p, const float *planes,
                                                                  float *plane) {
    for (int h = 0; h < s->height; h++) {
        int row = h + s->padding;
        const float *phase_row = planes + (size_t)(row % p->stride) * p->stride * p->size + (row / p->stride) * p->width;
        float *target = plane + h * s->width - s->padding;
        for (int cp = 0; cp < p->stride; cp++) {
            const float *source = phase_row + (size_t)cp * p->size;
            int first = s->padding > cp ? (s->padding - cp + p->stride - 1) / p->stride : 0;
            int last = s->padding + s->width - 1 - cp;
            int end = last < 0 ? 0 : last / p->stride + 1;
            for (int c = first; c < end; c++) target[c * p->stride + cp] += source[c];
        }
    }
}

// full[i] = (((full[i] + w[0] * source[i]) + w[1] * source[i + 1]) + ...) over `width` taps, for i < n:
// a kernel row at stride 1 in one pass; `width` is a constant where it is called, so the taps unroll.
static inline __attribute__((always_inline)) void add_kernel_row(float *restrict full, const float *restrict source,
                                                                 const float *w, int n, int width) {
    float taps[8];
    for (int kj = 0; kj < width; kj++) taps[kj] = w[kj];
    for (int i = 0; i < n; i++) {
        float total = full[i];
        for (int kj = 0; kj < width; kj++) total += taps[kj] * source[i + kj];
        full[i] = total;
    }
}

static inline __attribute__((always_inline)) void depthwise_forward(
    const struct fleet_depthwise_shape *s, const float *x, const float *weight, const float *bias, float *out) {
    struct phases p = phases_of(s);
    int taps = s->kernel_height * s->kernel_width, n = p.n;
    int in_plane = s->height * s->width, out_plane = s->out_height * s->out_width;
    float *planes = calloc((size_t)p.stride * p.stride * p.size, sizeof(float));
    float *full = malloc(sizeof(float) * (size_t)n);
    for (int b = 0; b < s->batch; b++) {
        for (int c = 0; c < s->channels; c++) {
            int plane = b * s->channels + c;
            fill_phases(s, &p, x + (size_t)plane * in_plane, planes);
            const float *w = weight + c * taps;
            float start = bias ? bias[c] : 0;
            for (int i = 0; i < n; i++) full[i] = start;
            for (int ki = 0; ki < s->kernel_height; ki++) {
                const float *row_weights = w + ki * s->kernel_width;
                // At stride 1 a kernel row's taps read one phase plane at consecutive offsets: 3- and
                // 5-wide rows are added in one pass (the same additions in the same order).
                if (s->stride == 1 && s->kernel_width == 5) {
                    add_kernel_row(full, tap_source(s, &p, planes, ki, 0), row_weights, n, 5);
                    continue;
                }
                if (s->stride == 1 && s->kernel_width == 3) {
                    add_kernel_row(full, tap_source(s, &p, planes, ki, 0), row_weights, n, 3);
                    continue;
                }
                for (int kj = 0; kj < s->kernel_width; kj++) {
                    float wk = row_weights[kj];
                    const float *restrict source = tap_source(s, &p, planes, ki, kj);
                    float *restrict target = full;
                    for (int i = 0; i < n; i++) target[i] += wk * source[i];
                }
            }
            float *out_plane_start = out + (size_t)plane * out_plane;
            for (int oh = 0; oh < s->out_height; oh++)
                memcpy(out_plane_start + oh * s->out_width, full + oh * p.width, sizeof(float) * s->out_width);
        }
    }
    free(planes);
    free(full);
}

// sum of a[i] * b[i] for i < n, in 8 interleaved lanes added pairwise at the end (a fixed order that
// vectorizes).
static inline __attribute__((always_inline)) float dot(const float *restrict a, const float *restrict b, int n) {
    float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) lanes[j] += a[i + j] * b[i + j];
    float tail = 0;
    for (; i < n; i++) tail += a[i] * b[i];
    return ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7])) + tail;
}

static inline __attribute__((always_inline)) void depthwise_backward(
    const struct fleet_depthwise_shape *s, const float *x, const float *weight, const float *g, float *dx,
    float *dweight, float *dbias) {
    struct phases p = phases_of(s);
    int taps = s->kernel_height * s->kernel_width, n = p.n;
    int in_plane = s->height * s->width, out_plane = s->out_height * s->out_width;
    size_t all_phases = (size_t)p.stride * p.stride * p.size;
    float *planes = calloc(all_phases, sizeof(float));
    float *d_planes = calloc(all_phases, sizeof(float));
    // The output gradient at the phase planes' width, zero in the dropped columns (which so add nothing).
    float *g_full = calloc((size_t)n, sizeof(float));
    for (int b = 0; b < s->batch; b++) {
        for (int c = 0; c < s->channels; c++) {
            int plane = b * s->channels + c;
            const float *gradient = g + (size_t)plane * out_plane;
            if (dbias) {
                float total = 0;
                for (int i = 0; i < out_plane; i++) total += gradient[i];
                dbias[c] += total;
            }
            for (int oh = 0; oh < s->out_height; oh++)
                memcpy(g_full + oh * p.width, gradient + oh * s->out_width, sizeof(float) * s->out_width);
            if (dweight) {
                fill_phases(s, &p, x + (size_t)plane * in_plane, planes);
                float *dw = dweight + c * taps;
                for (int ki = 0; ki < s->kernel_height; ki++)
                    for (int kj = 0; kj < s->kernel_width; kj++)
                        dw[ki * s->kernel_width + kj] += dot(g_full, tap_source(s, &p, planes, ki, kj), n);
            }
            if (dx) {
                memset(d_planes, 0, sizeof(float) * all_phases);
                const float *w = weight + c * taps;
                for (int ki = 0; ki < s->kernel_height; ki++) {
                    for (int kj = 0; kj < s->kernel_width; kj++) {
                        float wk = w[ki * s->kernel_width + kj];
                        float *restrict target = (float *)tap_source(s, &p, d_planes, ki, kj);
                        const float *restrict source = g_full;
                        for (int i = 0; i < n; i++) target[i] += wk * source[i];
                    }
                }
                add_from_phases(s, &p, d_planes, dx + (size_t)plane * in_plane);
            }
        }
    }
    free(planes);
    free(d_planes);
    free(g_full);
}

// One variant per instruction set, as kernels.c's, chosen by fleet_kernels_isa() (which tests can set).
#define FORWARD_PARAMETERS \
    const struct fleet_depthwise_shape *s, const float *x, const float *weight, const float *bias, float *out
#define BACKWARD_PARAMETERS                                                                               \
    const struct fleet_depthwise_shape *s, const float *x, const float *weight, const float *g, float *dx, \
        float *dweight, float *dbias

static void forward_baseline(FORWARD_PARAMETERS) { depthwise_forward(s, x, weight, bias, out); }
static void backward_baseline(BACKWARD_PARAMETERS) { depthwise_backward(s, x, weight, g, dx, dweight, dbias); }
#if defined(__x86_64__)
__attribute__((target("avx2"))) static void forward_avx2(FORWARD_PARAMETERS) {
    depthwise_forward(s, x, weight, bias, out);
}
__attribute__((target("avx2"))) static void backward_avx2(BACKWARD_PARAMETERS) {
    depthwise_backward(s, x, weight, g, dx, dweight, dbias);
}
__attribute__((target("avx512f"))) static void forward_avx512(FORWARD_PARAMETERS) {
    depthwise_forward(s, x, weight, bias, out);
}
__attribute__((target("avx512f"))) static void backward_avx512(BACKWARD_PARAMETERS) {
    depthwise_backward(s, x, weight, g, dx, dweight, dbias);
}
#endif

void fleet_depthwise_conv2d_f32(FORWARD_PARAMETERS) {
#if defined(__x86_64__)
    const char *isa = fleet_kernels_isa();
    if (strcmp(isa, "avx512f") == 0) {
        forward_avx512(s, x, weight, bias, out);
        return;
    }
    if (strcmp(isa, "avx2") == 0) {
        forward_avx2(s, x, weight, bias, out);
        return;
    }
#endif
    forward_baseline(s, x, weight, bias, out);
}

void fleet_depthwise_conv2d_backward_f32(BACKWARD_PARAMETERS) {
#if defined(__x86_64__)
    const char *isa = fleet_kernels_isa();
    if (strcmp(isa, "avx512f") == 0) {
        backward_avx512(s, x, weight, g, dx, dweight, dbias);
        return;
    }
    if (strcmp(isa, "avx2") == 0) {
        backward_avx2(s, x, weight, g, dx, dweight, dbias);
        return;
    }
#endif
    backward_baseline(s, x, weight, g, dx, dweight, dbias);
}
