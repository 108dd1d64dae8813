"""CPU kernels: bf16 linear layers with their weights laid out once for oneDNN.

On a CPU, `F.linear` on bf16 tensors usually runs oneDNN's matmul, which first re-lays the weight
out in the blocked format its kernels read, on every call. At decode sizes (a few rows against a
512x2048 weight) that reorder costs as much as the product itself. `PackedLinear` keeps the
re-laid weight (made on first use, remade when the weight tensor is replaced or written in place;
in-place writes to inference-mode weights are not tracked) and calls the same oneDNN product on
it: 1.5-3x faster on CPUs with native bf16 instructions, the GPT's outputs bit-identical to
`F.linear` at its sizes (elsewhere F.linear may choose another kernel: equal to bf16 rounding), and
a row's result never depends on the other rows of its batch.

Anything else (float32 or fp16 weights, CUDA, autograd, a PyTorch built without oneDNN) runs
`F.linear` unchanged.
"""
from __future__ import annotations

import logging
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

log = logging.getLogger(__name__)

PACKED_DTYPE = torch.bfloat16   # the only dtype whose CPU matmul re-lays weights per call and packs bit-identically
PACK_ROWS_HINT = 1              # rows oneDNN is told to expect; the layout serves any row count (decode rows are few)
_NO_ACTIVATION = "none"


class WeightPack:
    """The oneDNN layout of one weight tensor, remade when that tensor changes (new storage or in-place write).

    Threads may share a pack (GPT streams share the model): first uses at once may each pack, and any of
    those equal layouts is kept; the weight itself must not be written while other threads use it.
    """

    _broken = False   # set once if this PyTorch cannot pack: every pack falls back to F.linear

    def __init__(self) -> None:
        self._key: tuple[int, int, int] | None = None
        self._storage: Any = None     # held so its address cannot be reused by another weight while packed
        self._packed: Tensor | None = None

    def usable(self, x: Tensor, weight: Tensor) -> bool:
        """Whether `x @ weight.T` can run on the packed layout (bf16 on the CPU, no autograd)."""
        return (not WeightPack._broken and weight.dtype == PACKED_DTYPE and x.dtype == PACKED_DTYPE
                and x.device.type == "cpu" and weight.device.type == "cpu"
                and not (torch.is_grad_enabled() and (weight.requires_grad or x.requires_grad))
                and torch.backends.mkldnn.is_available())

    def get(self, weight: Tensor) -> Tensor:
        """The packed layout of `weight` (made now if the weight is new or was written since)."""
        storage = weight.untyped_storage()
        version = 0 if weight.is_inference() else weight._version   # inference tensors keep no version
        key = (storage.data_ptr(), weight.storage_offset(), version)
        if self._packed is None or key != self._key:
            self._packed = torch.ops.mkldnn._reorder_linear_weight(weight.detach(), PACK_ROWS_HINT)
            self._key, self._storage = key, storage
        return self._packed

    def __deepcopy__(self, memo: dict) -> "WeightPack":
        return WeightPack()       # a copy re-packs its own weight on first use

    def __getstate__(self) -> dict[str, Any]:
        return {"_key": None, "_storage": None, "_packed": None}


def packed_linear(x: Tensor, weight: Tensor, bias: Tensor | None, pack: WeightPack) -> Tensor:
    """`F.linear(x, weight, bias)`, through `pack`'s oneDNN layout when it applies (bit-identical result)."""
    if pack.usable(x, weight):
        try:
            return torch.ops.mkldnn._linear_pointwise(x, pack.get(weight), bias, _NO_ACTIVATION, [], "")
        except (AttributeError, NotImplementedError) as exc:   # ops missing from this build: F.linear from now on
            WeightPack._broken = True
            log.warning("packed bf16 linear unavailable (%s); using F.linear", exc)
        except RuntimeError as exc:      # an input the packed op refuses: F.linear computes it (or names the error)
            log.debug("packed bf16 linear declined an input: %s", exc)
    return F.linear(x, weight, bias)


class PackedLinear(nn.Linear):
    """`nn.Linear` (same parameters and state-dict names) whose bf16 CPU forward uses a packed weight."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, **factory: Any) -> None:
        super().__init__(in_features, out_features, bias, **factory)
        self.pack = WeightPack()

    def forward(self, x: Tensor) -> Tensor:
        """(..., in) -> (..., out)."""
        return packed_linear(x, self.weight, self.bias, self.pack)
