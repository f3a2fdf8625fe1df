#!/usr/bin/env python3
"""Writes workloads/trimul/trimul.jsonl: GPUMode TriMul's 18 test and 7 benchmark shapes
(problems/bioml/trimul/task.yml; docs/task-formats.md, "GPUMode TriMul: shapes") as FlashInfer
Trace workload records.

The uuid says which set a shape belongs to ("test-..." is checked only, "benchmark-..." is checked
and timed) and carries the leaderboard's seed, which ksearch mixes into its own input seeds.
Inputs name their distribution (docs/task-formats.md, "GPUMode TriMul: inputs"): x ~ N(0, 1) or
Cauchy(0, 2); the mask is all ones ("nomask") or 0/1 integers; norm weights and biases ~ N(0, 1);
the five projections ~ N(0, 1)/sqrt(hidden_dim); to_out ~ N(0, 1)/sqrt(dim).
"""
import json
import math
import os

HIDDEN = 128
# (seq_len, batch, dim, seed, nomask, distribution)
TESTS = [
    (32, 1, 128, 9371, True, "normal"), (32, 1, 128, 1092, False, "normal"),
    (64, 2, 256, 2291, True, "normal"), (64, 2, 256, 210284, False, "normal"),
    (128, 1, 768, 81934, True, "normal"), (256, 1, 128, 1932, True, "normal"),
    (256, 1, 128, 10432, False, "normal"), (768, 2, 128, 731, True, "normal"),
    (1024, 1, 384, 53121, False, "normal"), (1024, 1, 768, 31, True, "normal"),
    (1024, 1, 768, 4921, False, "normal"),
    (32, 1, 128, 937321, True, "cauchy"), (64, 2, 256, 2291, True, "cauchy"),
    (128, 1, 768, 8134, True, "cauchy"), (256, 1, 128, 932, True, "cauchy"),
    (768, 2, 128, 31, True, "cauchy"), (1024, 1, 384, 5321, False, "cauchy"),
    (1024, 1, 768, 491, False, "cauchy"),
]
BENCHMARKS = [
    (256, 2, 128, 9371, True, "normal"), (768, 1, 128, 381, True, "cauchy"),
    (256, 2, 384, 2301, False, "normal"), (512, 1, 128, 12819, True, "normal"),
    (1024, 1, 128, 381, True, "cauchy"), (768, 1, 384, 481, False, "normal"),
    (1024, 1, 384, 23291, True, "normal"),
]


def normal(std=1.0):
    return {"type": "random", "distribution": "normal", "mean": 0.0, "std": std}


def record(kind, index, shape):
    n, b, c, seed, nomask, dist = shape
    uuid = f"{kind}-{index:02d}-n{n}-b{b}-c{c}-{'nomask' if nomask else 'mask'}-{dist}-s{seed}"
    x = normal() if dist == "normal" else {"type": "random", "distribution": "cauchy", "loc": 0.0, "scale": 2.0}
    mask = {"type": "constant", "value": 1.0} if nomask else {"type": "random", "distribution": "randint", "low": 0, "high": 2}
    inputs = {"x": x, "mask": mask, "norm_weight": normal(), "norm_bias": normal()}
    for name in ("left_proj_weight", "right_proj_weight", "left_gate_weight", "right_gate_weight", "out_gate_weight"):
        inputs[name] = normal(1 / math.sqrt(HIDDEN))
    inputs["to_out_norm_weight"] = normal()
    inputs["to_out_norm_bias"] = normal()
    inputs["to_out_weight"] = normal(1 / math.sqrt(c))
    return {"definition": "trimul", "solution": None, "evaluation": None,
            "workload": {"uuid": uuid, "axes": {"batch_size": b, "seq_len": n, "dim": c}, "inputs": inputs}}


here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "workloads", "trimul", "trimul.jsonl"), "w") as out:
    for i, shape in enumerate(TESTS, 1):
        out.write(json.dumps(record("test", i, shape)) + "\n")
    for i, shape in enumerate(BENCHMARKS, 1):
        out.write(json.dumps(record("benchmark", i, shape)) + "\n")
