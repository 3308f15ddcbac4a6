#!/usr/bin/env python3
"""Golden safetensors files with F32, F16, BF16 and I8 tensors, for
Tests/ModelsTests/SafetensorsDTypeTests.swift.

What it does: builds a few small tensors from fixed float32 inputs (edge values included: signed
zeros, the largest finite value, the smallest normal and subnormal, infinities, NaN, and inputs
that sit exactly halfway between two F16/BF16 values, so that round-to-nearest-even is tested),
converts them with torch (`.half()`, `.bfloat16()`) and saves them with
`safetensors.torch.save_file`. It also quantizes a float weight per output channel, symmetric,
with PyTorch's observer and `quantize_per_channel` (qint8, restricted range -127..127, the kit's
convention), saved as `quant.weight` (I8) and `quant.weight_scale` (F32, shape (out, 1)), next
to its source `quant.float_weight` (F32).

It writes two files into Tests/ModelsTests/Fixtures/:
  - safetensors-dtypes.safetensors: the file Python writes;
  - safetensors-dtypes.json: for every tensor its dtype, shape, the float32 inputs (as bit
    patterns, so NaN and -0 survive JSON) and the values torch stored, widened back to float32
    (bit patterns too), or the integers for I8.

The Swift tests read the file and compare every value exactly, and write the same inputs with
the same dtypes and compare the bytes with this file.

How to run, from the repository root (check first with `python3 -c "import torch, safetensors"`;
if missing: pip install 'torch==2.13.0+cpu' safetensors numpy):

    python3 scripts/golden_safetensors_dtypes.py
"""
import json
import math
import pathlib
import struct

import torch
from safetensors.torch import load_file, save_file
from torch.ao.quantization.observer import PerChannelMinMaxObserver

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "ModelsTests" / "Fixtures"
NAN, INF = math.nan, math.inf
F32_MAX = 3.4028234663852886e38
F32_MIN_NORMAL = 2.0**-126
F32_MIN_SUBNORMAL = 2.0**-149

# F16: 10 mantissa bits, largest 65504, smallest normal 2^-14, smallest subnormal 2^-24.
F16_INPUTS = [
    0.0, -0.0, 1.0, -2.0, 0.1, 1 / 3, 65504.0, -65504.0,
    65519.0,  # below the halfway point to 65536: rounds to 65504
    65520.0,  # the halfway point: rounds (to even) to infinity
    1e6, -1e6,  # overflow: infinities
    2.0**-14, 2.0**-24, 1023 * 2.0**-24,  # smallest normal, smallest and largest subnormal
    2.0**-25,  # halfway between 0 and 2^-24: rounds to even, 0
    3 * 2.0**-25,  # halfway between 2^-24 and 2·2^-24: rounds to even, 2·2^-24
    2.0**-25 * 1.0000001,  # just above halfway: 2^-24
    2.0**-26, -1e-10, F32_MIN_SUBNORMAL,  # underflow to (signed) zero
    1 + 2.0**-11,  # halfway between 1 and 1 + 2^-10: to even, 1
    1 + 3 * 2.0**-11,  # halfway between 1 + 2^-10 and 1 + 2^-9: to even, 1 + 2^-9
    1 + 2.0**-11 + 2.0**-20,  # just above halfway: 1 + 2^-10
    INF, -INF, NAN,
]
# BF16: the top 16 bits of a float32 (7 mantissa bits).
BF16_INPUTS = [
    0.0, -0.0, 1.0, -2.0, 0.1, math.pi, 1e30, -1e-30,
    3.3895313892515355e38,  # the largest finite BF16
    F32_MAX,  # rounds to infinity
    F32_MIN_NORMAL, F32_MIN_SUBNORMAL * 2**16,  # smallest normal, smallest subnormal BF16
    1 + 2.0**-8,  # halfway between 1 and 1 + 2^-7: to even, 1
    1 + 3 * 2.0**-8,  # halfway: to even, 1 + 2^-6
    F32_MIN_SUBNORMAL,  # rounds to 0
    INF, -INF, NAN,
]
F32_INPUTS = [0.0, -0.0, 1.5, -2.25, F32_MAX, -F32_MAX, F32_MIN_NORMAL, F32_MIN_SUBNORMAL, INF, -INF, NAN, math.e]
I8_VALUES = [[-128, -127, -1], [0, 1, 127]]


def f32(values, shape=None):
    t = torch.tensor(values, dtype=torch.float32)
    return t.reshape(shape) if shape is not None else t


def bits(t):
    """The float32 bit patterns of a tensor's values, row-major."""
    return [struct.unpack("<I", struct.pack("<f", v))[0] for v in t.float().flatten().tolist()]


def quantize_per_channel(weight):
    """PyTorch's per-channel symmetric qint8 in the restricted range -127..127."""
    observer = PerChannelMinMaxObserver(
        ch_axis=0, dtype=torch.qint8, qscheme=torch.per_channel_symmetric, quant_min=-127, quant_max=127)
    observer(weight)
    scale, zero_point = observer.calculate_qparams()
    assert (zero_point == 0).all()
    q = torch.quantize_per_channel(weight, scale.double(), zero_point, 0, torch.qint8)
    return q.int_repr(), scale.float().reshape(-1, 1)


def main():
    generator = torch.Generator().manual_seed(0)
    weight = torch.randn(6, 11, generator=generator)
    weight[2] = 0  # a zero row: scale is the observer's eps, values all 0
    weight[4] *= 1e-3  # a small row
    weight[5, 3] = -weight[5].abs().max() * 2  # a row whose extreme is negative
    q, scale = quantize_per_channel(weight)
    assert q.abs().max() <= 127

    # (name, input float32 tensor, stored tensor)
    tensors = [
        ("f32_edges", f32(F32_INPUTS), f32(F32_INPUTS)),
        ("f32_scalar", f32(7.0), f32(7.0)),
        ("f32_empty", f32([]).reshape(0, 3), f32([]).reshape(0, 3)),
        ("f16_edges", f32(F16_INPUTS), f32(F16_INPUTS).half()),
        ("f16_matrix", f32([[0.5, -0.25, 3.0], [1e-3, 2e4, -7.5]]), None),
        ("bf16_edges", f32(BF16_INPUTS), f32(BF16_INPUTS).bfloat16()),
        ("i8_matrix", None, torch.tensor(I8_VALUES, dtype=torch.int8)),
        ("quant.float_weight", weight, weight),
        ("quant.weight", None, q),
        ("quant.weight_scale", scale, scale),
    ]
    tensors[4] = (tensors[4][0], tensors[4][1], tensors[4][1].half())
    # NaN: torch's own conversions give F16 0x7E00 but BF16 0xFFFF (sign and every payload bit
    # set), where the IEEE conversion of float32's quiet NaN 0x7FC00000 (and the kit) give 0x7FC0.
    # NaN bits carry no meaning, so the file holds the IEEE ones; the tests compare NaN as NaN.
    for _, _, t in tensors:
        if t.dtype in (torch.float16, torch.bfloat16):
            t.view(torch.int16)[torch.isnan(t)] = 0x7E00 if t.dtype == torch.float16 else 0x7FC0
    stored = {name: t.contiguous() for name, _, t in tensors}
    path = OUT / "safetensors-dtypes.safetensors"
    save_file(stored, str(path), metadata={"format": "pt"})

    names = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int8: "I8"}
    expected = {}
    for name, inputs, t in tensors:
        entry = {"dtype": names[t.dtype], "shape": list(t.shape)}
        if t.dtype == torch.int8:
            entry["values"] = t.flatten().tolist()
        else:
            entry["input_bits"] = bits(inputs)
            entry["value_bits"] = bits(t)
        expected[name] = entry
    # The file reads back in Python to what was stored.
    back = load_file(str(path))
    for name, t in stored.items():
        assert back[name].dtype == t.dtype and torch.equal(back[name].reshape(-1).view(torch.uint8), t.reshape(-1).view(torch.uint8)), name
    (OUT / "safetensors-dtypes.json").write_text(
        json.dumps({"tensors": expected}, indent=1, sort_keys=True) + "\n")
    print(f"wrote {path} ({path.stat().st_size} bytes) and safetensors-dtypes.json")


if __name__ == "__main__":
    main()
