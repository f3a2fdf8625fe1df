#!/usr/bin/env python3
"""Writes the safetensors fixture that tests/tasks/safetensors_reference_test.cc checks.

The file is made by the official `safetensors` package from PyTorch tensors, so the C++ reader
is tested on bytes it did not write. Run it where `safetensors` and `torch` are installed (the GPU
box), then point the test at the file:

    python3 tasks/oracle/make_safetensors_fixture.py /tmp/ksearch-fixture.safetensors
    KSEARCH_SAFETENSORS_FIXTURE=/tmp/ksearch-fixture.safetensors \
        ./build/tests/ksearch_unit_tests --gtest_filter='SafetensorsReference.*'

The tensors, their shapes and values are a contract with the C++ test: change both together.
Every floating value is exact in every floating type used (no rounding is involved).
"""

import argparse
import sys

try:
    import torch
    import safetensors
    from safetensors.torch import save_file
except ImportError as missing:  # say what to install instead of a traceback
    sys.exit(f"make_safetensors_fixture.py: needs the torch and safetensors packages ({missing})")

# The metadata has one entry on purpose: with several, the library writes them in hash order,
# and the C++ test could no longer compare its own writer's bytes with this file.
PRODUCER_PREFIX = "make_safetensors_fixture.py"

FLOATS = [0.0, 1.0, -2.0, 0.5, 1.5, 3.0]


def fixture_tensors():
    """name -> tensor; one per dtype the FlashInfer schema uses, plus edge cases."""
    tensors = {
        "f32": torch.tensor(FLOATS, dtype=torch.float32).reshape(2, 3),
        "f64": torch.tensor(FLOATS, dtype=torch.float64).reshape(3, 2),
        "f16": torch.tensor(FLOATS, dtype=torch.float32).to(torch.float16),
        "bf16": torch.tensor(FLOATS, dtype=torch.float32).to(torch.bfloat16).reshape(1, 2, 3),
        # The largest finite value of each fp8 type as the last element.
        "f8_e4m3": torch.tensor(FLOATS[:5] + [448.0]).to(torch.float8_e4m3fn).reshape(2, 3),
        "f8_e5m2": torch.tensor(FLOATS[:5] + [-57344.0]).to(torch.float8_e5m2).reshape(2, 3),
        "i64": torch.tensor([-(1 << 40), -1, 0, 1, 2, 1 << 40], dtype=torch.int64).reshape(2, 3),
        "i32": torch.tensor([-(1 << 30), -1, 0, 1, 2, 1 << 30], dtype=torch.int32),
        "i16": torch.tensor([-32768, -1, 0, 1, 2, 32767], dtype=torch.int16).reshape(3, 2),
        "i8": torch.tensor([-128, -1, 0, 1, 2, 127], dtype=torch.int8).reshape(2, 3),
        "u8": torch.tensor([0, 1, 2, 127, 128, 255], dtype=torch.uint8).reshape(2, 3),
        "bool": torch.tensor([True, False, True, True, False, False]).reshape(2, 3),
        "scalar_f32": torch.tensor(7.25, dtype=torch.float32),
        "empty_i32": torch.zeros((0, 4), dtype=torch.int32),
    }
    # Unsigned 16/32/64-bit tensors exist from PyTorch 2.3 on; the C++ test checks them when present.
    if hasattr(torch, "uint16"):
        counting = torch.tensor([0, 1, 2, 3, 4, 5], dtype=torch.int64)
        tensors["u16"] = counting.to(torch.uint16)
        tensors["u32"] = counting.to(torch.uint32)
        tensors["u64"] = counting.to(torch.uint64)
    return tensors


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", help="the .safetensors file to write")
    args = parser.parse_args()
    producer = f"{PRODUCER_PREFIX}; safetensors {safetensors.__version__}; torch {torch.__version__}"
    tensors = fixture_tensors()
    save_file(tensors, args.output, metadata={"producer": producer})
    print(f"wrote {len(tensors)} tensors to {args.output} ({producer})")


if __name__ == "__main__":
    main()
