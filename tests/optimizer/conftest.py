"""Optimizer tests run torch on one thread: the CI machines have two shared cores, and
oversubscribed intra-op threads make small batched kernels tens of times slower."""

import torch

torch.set_num_threads(1)
