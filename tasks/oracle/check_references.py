#!/usr/bin/env python3
"""Runs the bundled definitions' Python references against the published ones on the same inputs.

The four definitions under tasks/flashinfer/definitions carry references written for ksearch;
this script checks that each computes what the published FlashInfer Trace reference computes.
Both are run on the same small random inputs (empty sequences and, for prefill, query rows with
nothing visible included) and every output is compared: non-finite values must sit at the same
places, finite ones are reported as the largest absolute difference.

    python3 tasks/oracle/check_references.py --published DIR   # DIR holds definitions/<op_type>/*.json

Needs PyTorch. Uses the GPU when there is one. `--small-moe` runs the MoE at hidden 256 /
intermediate 128 (patching both references' size checks), for machines without the memory the
full-size published MoE reference needs (over 10 GB of float32); without FP8 support in PyTorch
(before 2.1) the FP8 tensors are float32 stand-ins holding the same values.
Exit status: 0 when every output matches within --atol, 1 otherwise.
"""

import argparse
import json
import math
import pathlib
import sys

try:
    import torch
except ImportError as missing:
    sys.exit(f"check_references.py: needs PyTorch ({missing})")

BUNDLED = pathlib.Path(__file__).resolve().parent.parent / "flashinfer" / "definitions"
NAMES = {
    "gqa": "gqa_paged/gqa_paged_decode_h32_kv4_d128_ps1.json",
    "mla_decode": "mla_paged/mla_paged_decode_h16_ckv512_kpe64_ps1.json",
    "mla_prefill": "mla_paged/mla_paged_prefill_causal_h16_ckv512_kpe64_ps1.json",
    "moe": "moe/moe_fp8_block_scale_ds_routing_topk8_ng8_kg4_e32_h7168_i2048.json",
}


def load_run(path, patches=()):
    """The `run` function of the definition at `path`, after textual `patches` (old, new)."""
    source = json.loads(pathlib.Path(path).read_text())["reference"]
    for old, new in patches:
        if old not in source:
            sys.exit(f"check_references.py: {path}: cannot patch, '{old}' not found")
        source = source.replace(old, new)
    namespace = {}
    exec(compile(source, str(path), "exec"), namespace)
    return namespace["run"]


def offsets(lengths, device):
    cumulative = [0]
    for n in lengths:
        cumulative.append(cumulative[-1] + n)
    return torch.tensor(cumulative, dtype=torch.int32, device=device)


def compare(label, ours, theirs, atol):
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    ok = len(ours) == len(theirs)
    for index, (a, b) in enumerate(zip(ours, theirs)):
        a, b = a.float().cpu(), b.float().cpu()
        if a.shape != b.shape:
            print(f"FAIL {label} output {index}: shape {tuple(a.shape)} vs {tuple(b.shape)}")
            ok = False
            continue
        same_places = torch.equal(torch.isnan(a), torch.isnan(b)) and torch.equal(torch.isinf(a), torch.isinf(b))
        finite = torch.isfinite(a) & torch.isfinite(b)
        infinite_equal = torch.equal(a[torch.isinf(a)], b[torch.isinf(b)]) if same_places else False
        worst = (a[finite] - b[finite]).abs().max().item() if finite.any() else 0.0
        good = same_places and infinite_equal and worst <= atol
        ok = ok and good
        print(f"{'ok  ' if good else 'FAIL'} {label} output {index} {tuple(a.shape)}: max |diff| {worst:.3g}"
              f"{'' if same_places else ', non-finite values differ'}")
    return ok


def attention_cases(device, generator):
    def randn(*shape):
        return torch.randn(*shape, generator=generator).to(device)

    def slots(pages, count):
        return torch.randperm(pages, generator=generator)[:count].to(torch.int32).to(device)

    for lengths in ([5], [3, 0, 17, 1], [40, 33]):
        pages = sum(lengths) + 7
        yield "gqa", lengths, (randn(len(lengths), 32, 128).bfloat16(), randn(pages, 1, 4, 128).bfloat16(),
                               randn(pages, 1, 4, 128).bfloat16(), offsets(lengths, device),
                               slots(pages, sum(lengths)), 1 / math.sqrt(128))
        yield "mla_decode", lengths, (randn(len(lengths), 16, 512).bfloat16(), randn(len(lengths), 16, 64).bfloat16(),
                                      randn(pages, 1, 512).bfloat16(), randn(pages, 1, 64).bfloat16(),
                                      offsets(lengths, device), slots(pages, sum(lengths)), 0.1352337747812271)
    # (queries, tokens) per sequence: plain, empty either way, more queries than tokens, > 256 rows.
    for pairs in ([(3, 10)], [(1, 1), (0, 4), (5, 5), (2, 0), (7, 30)], [(4, 2)], [(300, 310)]):
        q_lengths, kv_lengths = [q for q, _ in pairs], [k for _, k in pairs]
        pages = sum(kv_lengths) + 5
        yield "mla_prefill", pairs, (randn(sum(q_lengths), 16, 512).bfloat16(), randn(sum(q_lengths), 16, 64).bfloat16(),
                                     randn(pages, 1, 512).bfloat16(), randn(pages, 1, 64).bfloat16(),
                                     offsets(q_lengths, device), offsets(kv_lengths, device),
                                     slots(pages, sum(kv_lengths)), 0.1352337747812271)


def moe_cases(device, generator, hidden, intermediate):
    fp8 = getattr(torch, "float8_e4m3fn", None)

    def randn(*shape):
        return torch.randn(*shape, generator=generator).to(device)

    def quantized(*shape):
        values = randn(*shape).clamp(-2, 2)
        return values.to(fp8) if fp8 is not None else values

    for tokens, offset in ((1, 0), (7, 96), (33, 224), (16, 250)):
        yield "moe", (tokens, offset), (
            randn(tokens, 256), (randn(256) * 0.1).bfloat16(), quantized(tokens, hidden),
            randn(hidden // 128, tokens), quantized(32, 2 * intermediate, hidden),
            randn(32, 2 * intermediate // 128, hidden // 128), quantized(32, hidden, intermediate),
            randn(32, hidden // 128, intermediate // 128), offset, 2.5)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--published", required=True, type=pathlib.Path,
                        help="folder holding the published definitions/<op_type>/<name>.json")
    parser.add_argument("--small-moe", action="store_true", help="run the MoE at hidden 256 / intermediate 128")
    parser.add_argument("--atol", type=float, default=0.0, help="largest absolute difference accepted (default 0)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    published = args.published / "definitions" if (args.published / "definitions").is_dir() else args.published
    device = "cuda" if torch.cuda.is_available() else "cpu"
    generator = torch.Generator().manual_seed(args.seed)

    hidden, intermediate = (256, 128) if args.small_moe else (7168, 2048)
    theirs_patches = {"moe": [("H = 7168", f"H = {hidden}"), ("I = 2048", f"I = {intermediate}"),
                              ("assert H == 7168", f"assert H == {hidden}"),
                              ("assert I == 2048", f"assert I == {intermediate}")] if args.small_moe else []}
    ours_patches = {"moe": [("(256, 32, 7168, 2048)", f"(256, 32, {hidden}, {intermediate})")] if args.small_moe else []}
    runs = {key: (load_run(BUNDLED / name, ours_patches.get(key, ())),
                  load_run(published / name, theirs_patches.get(key, ()))) for key, name in NAMES.items()}

    ok = True
    cases = list(attention_cases(device, generator)) + list(moe_cases(device, generator, hidden, intermediate))
    for key, shape, inputs in cases:
        ours, theirs = runs[key]
        ok = compare(f"{key} {shape}", ours(*inputs), theirs(*inputs), args.atol) and ok
    print("all outputs match" if ok else "some outputs differ")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
