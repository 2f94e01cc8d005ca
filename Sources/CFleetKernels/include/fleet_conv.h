// The depthwise 2-D convolution's loops, for FleetTensor's `Tensor.depthwiseConv2d`: NCHW planes,
// one kh x kw filter per channel, PyTorch's output extents. Each plane is copied into zero-padded
// scratch planes first (split by the stride into phases), so that every kernel tap is one contiguous
// loop over the whole plane, without bounds checks.
#pragma once

/// The extents of a depthwise convolution: `batch` x `channels` input planes of `height` x `width`,
/// filters of `kernel_height` x `kernel_width`, the window moved by `stride` over planes padded by
/// `padding` zeros, giving `out_height` x `out_width` output planes.
struct fleet_depthwise_shape {
    int batch, channels, height, width, kernel_height, kernel_width, stride, padding, out_height, out_width;
};

/// out[b, c, oh, ow] = bias[c] + sum over (ki, kj) of weight[c, ki, kj] * x[b, c, oh*stride - padding + ki,
/// ow*stride - padding + kj] (0 outside the plane). `bias` may be NULL (no bias). The taps are added in
/// row-major (ki, kj) order. Arrays must not overlap.
void fleet_depthwise_conv2d_f32(const struct fleet_depthwise_shape *shape, const float *x, const float *weight,
                                const float *bias, float *out);

/// The gradients of fleet_depthwise_conv2d_f32 for the output gradient g, each added into its array
/// when it is not NULL: dx (shaped like x), dweight (like weight), dbias (like bias). Arrays must not overlap.
void fleet_depthwise_conv2d_backward_f32(const struct fleet_depthwise_shape *shape, const float *x,
                                         const float *weight, const float *g, float *dx, float *dweight,
                                         float *dbias);
