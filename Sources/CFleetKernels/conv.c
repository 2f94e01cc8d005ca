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

void fleet_depthwise_conv2d_f32(const struct fleet_depthwise_shape *s, const float *x, const float *weight,
                                const float *bias, float *out) {
    int pw = padded_width(s), taps = s->kernel_height * s->kernel_width;
    int in_plane = s->height * s->width, out_plane = s->out_height * s->out_width;
    float *padded = calloc((size_t)pw * padded_height(s), sizeof(float));
    for (int b = 0; b < s->batch; b++) {
        for (int c = 0; c < s->channels; c++) {
            int plane = b * s->channels + c;
            pad_plane(s, x + (size_t)plane * in_plane, padded);
            const float *w = weight + c * taps;
            float start = bias ? bias[c] : 0;
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
}

void fleet_depthwise_conv2d_backward_f32(const struct fleet_depthwise_shape *s, const float *x,
                                         const float *weight, const float *g, float *dx, float *dweight,
                                         float *dbias) {
    int pw = padded_width(s), ph = padded_height(s), taps = s->kernel_height * s->kernel_width;
    int in_plane = s->height * s->width, out_plane = s->out_height * s->out_width;
    float *padded = calloc((size_t)pw * ph, sizeof(float));
    float *padded_dx = calloc((size_t)pw * ph, sizeof(float));
    for (int b = 0; b < s->batch; b++) {
        for (int c = 0; c < s->channels; c++) {
            int plane = b * s->channels + c;
            const float *gradient = g + (size_t)plane * out_plane;
            if (dbias) {
                float total = 0;
                for (int i = 0; i < out_plane; i++) total += gradient[i];
                dbias[c] += total;
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
}
