"""What the torch peers share: setting torch's thread count from a command-line value, and saying
which threads and matrix kernels torch ran with (for the JSON every peer prints)."""

import re

import torch


def set_threads(value):
    """`value` is a number of intra-op threads for torch.set_num_threads, or 'default' (torch's own
    choice, left alone)."""
    if value != "default":
        torch.set_num_threads(int(value))


def describe(requested):
    """torch's version, the threads it runs on, and the BLAS and CPU kernels its build uses."""
    config = torch.__config__.show()
    blas = re.search(r"BLAS_INFO=(\w+)", config)
    mkl = re.search(r"Math Kernel Library Version ([0-9.]+)", config)
    kernels = blas.group(1) if blas else "unknown BLAS"
    if mkl:
        kernels += f" {mkl.group(1)}"
    return {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "threads_requested": requested,
        "blas": f"{kernels}, CPU capability {torch.backends.cpu.get_cpu_capability()}",
    }
