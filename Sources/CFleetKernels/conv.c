#include "fleet_conv.h"

#include <stdlib.h>
#include <string.h>

// The padded plane's width and height.
static int padded_width(const struct fleet_depthwise_shape *s) { return s->width + 2 * s->padding; }
static int padded_height(const struct fleet_depthwise_shape *s) { return s->height + 2 * s->padding; }

// Copies one input plane into the interior of `padded` (whose border stays zero).
static void pad_plane(const struct fleet_depthwise_shape *s, const float *plane, float *padded) {
    int pw = padded_width(s);
    for (int h = 0; h < s->height; h++)
        memcpy(padded + (h + s->padding) * pw + s->padding, plane + h * s->width, sizeof(float) * s->width);
}

// out_row[ow] += w * source[ow * stride] for ow < n; the stride-1 loop vectorizes.
static inline void add_scaled_row(float *restrict out_row, const float *restrict source, float w, int stride, int n) {
    if (stride == 1) {
        for (int ow = 0; ow < n; ow++) out_row[ow] += w * source[ow];
    } else {
        for (int ow = 0; ow < n; ow++) out_row[ow] += w * source[ow * stride];
    }
}

// Stride 1 works on "full-width" rows: output row oh is computed at all pw columns of the padded
// plane (the last kernel_width - 1 of them are not outputs and are dropped), so that for every tap
// the whole plane is one contiguous loop, out_full[i] += w * padded[i + ki * pw + kj], long enough
// to vectorize even for the 3x3 planes of a network's last stage. The padded plane has
// kernel_width slack elements at its end for the dropped columns' reads.
static void depthwise_plane_stride1(const struct fleet_depthwise_shape *s, const float *restrict padded,
                                    const float *w, float start, float *restrict full, float *out) {
    int pw = padded_width(s), n = s->out_height * pw;
    for (int i = 0; i < n; i++) full[i] = start;
    for (int ki = 0; ki < s->kernel_height; ki++) {
        for (int kj = 0; kj < s->kernel_width; kj++) {
            float wk = w[ki * s->kernel_width + kj];
            const float *restrict source = padded + ki * pw + kj;
            for (int i = 0; i < n; i++) full[i] += wk * source[i];
        }
    }
    for (int oh = 0; oh < s->out_height; oh++)
        memcpy(out + oh * s->out_width, full + oh * pw, sizeof(float) * s->out_width);
}

void fleet_depthwise_conv2d_f32(const struct fleet_depthwise_shape *s, const float *x, const float *weight,
                                const float *bias, float *out) {
    int pw = padded_width(s), taps = s->kernel_height * s->kernel_width;
    int in_plane = s->height * s->width, out_plane = s->out_height * s->out_width;
    float *padded = calloc((size_t)pw * padded_height(s) + s->kernel_width, sizeof(float));
    float *full = s->stride == 1 ? malloc(sizeof(float) * (size_t)s->out_height * pw) : NULL;
    for (int b = 0; b < s->batch; b++) {
        for (int c = 0; c < s->channels; c++) {
            int plane = b * s->channels + c;
            pad_plane(s, x + (size_t)plane * in_plane, padded);
            const float *w = weight + c * taps;
            float start = bias ? bias[c] : 0;
            if (s->stride == 1) {
                depthwise_plane_stride1(s, padded, w, start, full, out + (size_t)plane * out_plane);
                continue;
            }
            for (int oh = 0; oh < s->out_height; oh++) {
                float *row = out + (size_t)plane * out_plane + oh * s->out_width;
                for (int ow = 0; ow < s->out_width; ow++) row[ow] = start;
                for (int ki = 0; ki < s->kernel_height; ki++) {
                    const float *source = padded + (oh * s->stride + ki) * pw;
                    for (int kj = 0; kj < s->kernel_width; kj++)
                        add_scaled_row(row, source + kj, w[ki * s->kernel_width + kj], s->stride, s->out_width);
                }
            }
        }
    }
    free(padded);
    free(full);
}

// sum of a[i] * b[i] for i < n, in 8 interleaved lanes added pairwise at the end (a fixed order that
// vectorizes).
static float dot(const float *restrict a, const float *restrict b, int n) {
    float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) lanes[j] += a[i + j] * b[i + j];
    float tail = 0;
    for (; i < n; i++) tail += a[i] * b[i];
    return ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7])) + tail;
}

// The stride-1 backward of one plane on full-width rows (see depthwise_plane_stride1): `g_full` gets
// the output gradient at width pw with zeros in the dropped columns, so they add nothing.
static void depthwise_plane_backward_stride1(const struct fleet_depthwise_shape *s, const float *padded,
                                             const float *gradient, const float *w, float *restrict g_full,
                                             float *padded_dx, float *dw, float *dx) {
    int pw = padded_width(s), ph = padded_height(s), n = s->out_height * pw;
    for (int oh = 0; oh < s->out_height; oh++) {
        memcpy(g_full + oh * pw, gradient + oh * s->out_width, sizeof(float) * s->out_width);
        memset(g_full + oh * pw + s->out_width, 0, sizeof(float) * (pw - s->out_width));
    }
    if (dw) {
        for (int ki = 0; ki < s->kernel_height; ki++)
            for (int kj = 0; kj < s->kernel_width; kj++)
                dw[ki * s->kernel_width + kj] += dot(g_full, padded + ki * pw + kj, n);
    }
    if (dx) {
        memset(padded_dx, 0, sizeof(float) * ((size_t)pw * ph + s->kernel_width));
        for (int ki = 0; ki < s->kernel_height; ki++) {
            for (int kj = 0; kj < s->kernel_width; kj++) {
                float wk = w[ki * s->kernel_width + kj];
                float *restrict target = padded_dx + ki * pw + kj;
                for (int i = 0; i < n; i++) target[i] += wk * g_full[i];
            }
        }
        for (int h = 0; h < s->height; h++) {
            const float *source = padded_dx + (h + s->padding) * pw + s->padding;
            for (int col = 0; col < s->width; col++) dx[h * s->width + col] += source[col];
        }
    }
}

void fleet_depthwise_conv2d_backward_f32(const struct fleet_depthwise_shape *s, const float *x,
                                         const float *weight, const float *g, float *dx, float *dweight,
                                         float *dbias) {
    int pw = padded_width(s), ph = padded_height(s), taps = s->kernel_height * s->kernel_width;
    int in_plane = s->height * s->width, out_plane = s->out_height * s->out_width;
    float *padded = calloc((size_t)pw * ph + s->kernel_width, sizeof(float));
    float *padded_dx = calloc((size_t)pw * ph + s->kernel_width, sizeof(float));
    float *g_full = s->stride == 1 ? malloc(sizeof(float) * (size_t)s->out_height * pw) : NULL;
    for (int b = 0; b < s->batch; b++) {
        for (int c = 0; c < s->channels; c++) {
            int plane = b * s->channels + c;
            const float *gradient = g + (size_t)plane * out_plane;
            if (dbias) {
                float total = 0;
                for (int i = 0; i < out_plane; i++) total += gradient[i];
                dbias[c] += total;
            }
            if (s->stride == 1) {
                if (dweight) pad_plane(s, x + (size_t)plane * in_plane, padded);
                depthwise_plane_backward_stride1(s, padded, gradient, weight + c * taps, g_full, padded_dx,
                                                 dweight ? dweight + c * taps : NULL,
                                                 dx ? dx + (size_t)plane * in_plane : NULL);
                continue;
            }
            if (dweight) {
                pad_plane(s, x + (size_t)plane * in_plane, padded);
                float *dw = dweight + c * taps;
                for (int ki = 0; ki < s->kernel_height; ki++) {
                    for (int kj = 0; kj < s->kernel_width; kj++) {
                        float total = 0;
                        for (int oh = 0; oh < s->out_height; oh++) {
                            const float *source = padded + (oh * s->stride + ki) * pw + kj;
                            const float *row = gradient + oh * s->out_width;
                            for (int ow = 0; ow < s->out_width; ow++) total += row[ow] * source[ow * s->stride];
                        }
                        dw[ki * s->kernel_width + kj] += total;
                    }
                }
            }
            if (dx) {
                memset(padded_dx, 0, sizeof(float) * (size_t)pw * ph);
                const float *w = weight + c * taps;
                for (int oh = 0; oh < s->out_height; oh++) {
                    const float *row = gradient + oh * s->out_width;
                    for (int ki = 0; ki < s->kernel_height; ki++) {
                        float *target = padded_dx + (oh * s->stride + ki) * pw;
                        for (int kj = 0; kj < s->kernel_width; kj++) {
                            float wk = w[ki * s->kernel_width + kj];
                            float *t = target + kj;
                            if (s->stride == 1) {
                                for (int ow = 0; ow < s->out_width; ow++) t[ow] += wk * row[ow];
                            } else {
                                for (int ow = 0; ow < s->out_width; ow++) t[ow * s->stride] += wk * row[ow];
                            }
                        }
                    }
                }
                float *plane_dx = dx + (size_t)plane * in_plane;
                for (int h = 0; h < s->height; h++) {
                    const float *source = padded_dx + (h + s->padding) * pw + s->padding;
                    for (int w = 0; w < s->width; w++) plane_dx[h * s->width + w] += source[w];
                }
            }
        }
    }
    free(padded);
    free(padded_dx);
    free(g_full);
}
