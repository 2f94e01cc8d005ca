"""PyTorch running Fleet's pixel encoders, timed on this machine, for `fleet bench conv`.

The architectures are those of FleetTensor (docs/algorithms.md, "Pixel observations: encoders"):

  nature      the Nature CNN as CleanRL builds it: Conv 32 8x8 s4, Conv 64 4x4 s2, Conv 64 3x3 s1, each
              followed by ReLU, flatten, Linear 512, ReLU; on images smaller than 36x36 the three
              convolutions are 3x3 stride 1, unpadded while their input is at least 5 pixels, else
              padded by 1.
  snet49      ThunderNet's SNet49 without batch normalization: stem Conv 24 3x3 s2 p1, ReLU, max-pool
              3x3 s2 p1, stages of ShuffleNetV2 units with 5x5 depthwise convolutions (60, 120, 240
              channels; 4, 8, 4 units), global average pool, Linear 256, ReLU. A stride-2 step halves
              the extent (rounding up) only while the result is at least 3, else it runs with stride 1.
  snet-small  the same with a stem of 16 and stages of 32, 64, 128 channels of 1, 2, 1 units.

Each `--case kind:CxHxW:F` (F: the features) is timed on a batch of `--batch` uniform images: the forward pass under
torch.no_grad(), and forward plus backward of the features' sum (parameter gradients zeroed first), the
best of `--repetitions` after `--warmup` untimed passes (the best, as Fleet's side reports it). Prints
one JSON line; when torch is not installed, a line saying so ({"skipped": ...}) and exit status 0.
"""

import argparse
import json
import sys
import time

try:
    import torch
    from torch import nn
except ImportError:
    print(json.dumps({"skipped": f"torch is not installed for {sys.executable}"}))
    sys.exit(0)

import torch_setup

SMALLEST_DOWNSAMPLED_EXTENT = 3
SNET = {
    "snet49": (24, [60, 120, 240], [4, 8, 4]),
    "snet-small": (16, [32, 64, 128], [1, 2, 1]),
}


def nature_cnn(channels, height, width, features=512):
    layers, extent = [], min(height, width)
    big = extent >= 36
    for out, kernel, stride in [(32, 8, 4), (64, 4, 2), (64, 3, 1)]:
        if big:
            conv = nn.Conv2d(channels, out, kernel, stride=stride)
        else:
            conv = nn.Conv2d(channels, out, 3, stride=1, padding=0 if min(height, width) >= 5 else 1)
        layers += [conv, nn.ReLU()]
        height = (height + 2 * conv.padding[0] - conv.kernel_size[0]) // conv.stride[0] + 1
        width = (width + 2 * conv.padding[0] - conv.kernel_size[0]) // conv.stride[0] + 1
        channels = out
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(channels * height * width, features), nn.ReLU())


class ShuffleUnit(nn.Module):
    def __init__(self, inp, out, downsampling, stride, kernel=5):
        super().__init__()
        half, pad = out // 2, kernel // 2
        self.downsampling = downsampling
        stride = stride if downsampling else 1
        if downsampling:
            self.branch1 = nn.Sequential(
                nn.Conv2d(inp, inp, kernel, stride, pad, groups=inp), nn.Conv2d(inp, half, 1), nn.ReLU())
        branch_in = inp if downsampling else half
        self.branch2 = nn.Sequential(
            nn.Conv2d(branch_in, half, 1), nn.ReLU(), nn.Conv2d(half, half, kernel, stride, pad, groups=half),
            nn.Conv2d(half, half, 1), nn.ReLU())

    def forward(self, x):
        if self.downsampling:
            out = torch.cat([self.branch1(x), self.branch2(x)], dim=1)
        else:
            kept, rest = x.chunk(2, dim=1)
            out = torch.cat([kept, self.branch2(rest)], dim=1)
        b, c, h, w = out.shape
        return out.view(b, 2, c // 2, h, w).transpose(1, 2).reshape(b, c, h, w)


def snet(kind, channels, height, width, features=256):
    stem_channels, stage_channels, units = SNET[kind]
    extent = [min(height, width)]

    def next_stride():
        if (extent[0] + 1) // 2 < SMALLEST_DOWNSAMPLED_EXTENT:
            return 1
        extent[0] = (extent[0] + 1) // 2
        return 2

    layers = [nn.Conv2d(channels, stem_channels, 3, next_stride(), 1), nn.ReLU(), nn.MaxPool2d(3, next_stride(), 1)]
    inp = stem_channels
    for stage_width, count in zip(stage_channels, units):
        layers.append(ShuffleUnit(inp, stage_width, True, next_stride()))
        layers += [ShuffleUnit(stage_width, stage_width, False, 1) for _ in range(count - 1)]
        inp = stage_width
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(inp, features), nn.ReLU())


def best_seconds(body, warmup, repetitions):
    for _ in range(warmup):
        body()
    best = float("inf")
    for _ in range(repetitions):
        start = time.perf_counter()
        body()
        best = min(best, time.perf_counter() - start)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--case", action="append", required=True, help="kind:CxHxW:F, e.g. nature:4x84x84:512")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", default="1")
    parser.add_argument("--repetitions", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    torch_setup.set_threads(args.threads)
    torch.manual_seed(1)
    results = []
    for case in args.case:
        kind, shape, features = case.split(":")
        c, h, w = (int(v) for v in shape.split("x"))
        model = nature_cnn(c, h, w, int(features)) if kind == "nature" else snet(kind, c, h, w, int(features))
        images = torch.rand(args.batch, c, h, w)

        def forward():
            with torch.no_grad():
                model(images)

        def forward_backward():
            model.zero_grad(set_to_none=False)
            model(images).sum().backward()

        results.append({
            "case": case,
            "forward_ms": best_seconds(forward, args.warmup, args.repetitions) * 1e3,
            "forward_backward_ms": best_seconds(forward_backward, args.warmup, args.repetitions) * 1e3,
        })
    try:
        description = torch_setup.describe(args.threads)
    except AttributeError:  # torch before 2.0 (Debian's python3-torch 1.13) cannot name its CPU capability
        description = {"torch": torch.__version__, "threads": torch.get_num_threads(), "threads_requested": args.threads}
    print(json.dumps({**description, "results": results}))


if __name__ == "__main__":
    main()
