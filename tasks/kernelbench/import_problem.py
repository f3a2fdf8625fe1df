#!/usr/bin/env python3
"""Turns one KernelBench problem into a dataset in FlashInfer Trace layout that ksearch evaluates.

    python3 tasks/kernelbench/import_problem.py --problem ROOT/level1/19_ReLU.py --level 1 \\
        --problem-id 19 --out DIR [--trials 5] [--precision fp32] [--perf-trials 100] [--device 0]

ksearch runs this once per problem and options (the folder is a cache, keyed by a hash of the
problem's source, the options and this script), then evaluates candidates in C++ against the
definition's Python reference through tasks/oracle/oracle_server.py. What it writes under DIR:

    definitions/kernelbench/<name>.json   the definition: const axes, inputs, outputs, and as its
                                          `reference` the problem's source plus a `run` wrapper
    workloads/kernelbench/<name>.jsonl    trial-K-seed-S (checked) and perf-seed-42 (checked, timed)
    blob/kernelbench/<name>/*.safetensors the inputs of each workload and the module's state
    notes/<name>.md                       the call order and what is checked, for the prompt
    kernelbench.json                      this import: options, device, baselines (eager, compile)

As KernelBench's eval (src/kernelbench/eval.py): set_seed(42) before get_init_inputs() and again
before Model(...); the correctness trials' seeds are drawn from torch.manual_seed(42), one
torch.randint each, and every trial's inputs come from get_inputs() after set_seed(its seed);
the performance inputs from get_inputs() after set_seed(42). Floating tensors are cast to the
precision, the model too. So inputs and parameters are upstream's bits on the same PyTorch.

The call signature (docs: tasks/kernelbench/README.md): forward's arguments by their names, then
the module's parameters (named_parameters order) and buffers (named_buffers order), dots turned
into underscores ("norm.weight" -> norm_weight; "param_" in front on a clash). One output is
`output`; a tuple gives output_0, output_1, ... Every dimension is a const axis named after the
problem's module-level int constant of that value when exactly one has it, else n<value>.

The baselines are timed with the oracle's own routine (cold L2, CUDA events, --perf-trials calls
after 3 warm-up calls): PyTorch eager and torch.compile (inductor, default mode). Without CUDA
(--device cpu, or none present) the outputs are derived on the CPU and no baseline is timed.

Exit status: 0 with one JSON line on stdout (what was written), 1 when the problem cannot be
imported (the message on stderr names the file and what is wrong), 3 when torch or safetensors
is missing.
"""

import argparse
import hashlib
import importlib.util
import inspect
import json
import os
import pathlib
import shutil
import sys
import traceback

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "oracle"))

SEED = 42  # KernelBench's seed_num
PRECISIONS = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}
DTYPE_NAMES = {"float32": "float32", "float16": "float16", "bfloat16": "bfloat16", "int64": "int64",
               "int32": "int32", "int16": "int16", "int8": "int8", "uint8": "uint8", "bool": "bool"}
RESERVED_SYMBOLS = {"num_sms", "cc", "max_smem_optin"}  # what a launch plan reads besides axes
FORMAT = 1


class ImportFailure(Exception):
    """A problem that cannot be imported; the message is the whole report."""


def fail(message):
    raise ImportFailure(message)


def set_seed(torch, seed):
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed(seed)


def load_problem(path, level, problem_id):
    spec = importlib.util.spec_from_file_location(f"kernelbench_l{level}_p{problem_id}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        fail(f"problem {path}: executing it raised {type(error).__name__}: {error}")
    for needed in ("Model", "get_inputs", "get_init_inputs"):
        if not hasattr(module, needed):
            fail(f"problem {path}: defines no `{needed}` (a KernelBench problem has Model, get_inputs "
                 "and get_init_inputs)")
    return module


def definition_name(level, problem_id, path):
    stem = pathlib.Path(path).stem
    title = stem.split("_", 1)[1] if "_" in stem else stem
    title = "".join(c if c.isalnum() or c == "_" else "_" for c in title)
    return f"kernelbench_l{level}_p{problem_id}_{title}"


def dtype_name(torch, dtype, what):
    name = str(dtype).replace("torch.", "")
    if name not in DTYPE_NAMES:
        fail(f"{what}: dtype {name} is not one ksearch evaluates ({', '.join(DTYPE_NAMES)})")
    return DTYPE_NAMES[name]


def forward_names(model, count, path):
    params = [p for p in inspect.signature(model.forward).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(params) >= count:
        return [p.name for p in params[:count]]
    if any(p.kind == p.VAR_POSITIONAL for p in inspect.signature(model.forward).parameters.values()):
        return [p.name for p in params] + [f"input_{i}" for i in range(len(params), count)]
    fail(f"problem {path}: get_inputs() returns {count} values, Model.forward takes {len(params)}")


def state_entries(model, taken):
    """(input name, dotted name, tensor) of every parameter, then every buffer."""
    entries = []
    for dotted, tensor in list(model.named_parameters()) + list(model.named_buffers()):
        name = dotted.replace(".", "_")
        if name in taken:
            name = "param_" + name
        while name in taken:
            name += "_"
        taken.add(name)
        entries.append((name, dotted, tensor))
    return entries


class AxisNamer:
    """Names each distinct dimension size after the problem's module-level int constant of that value."""

    def __init__(self, module, avoid):
        self.by_value = {}
        for key, value in vars(module).items():
            if isinstance(value, int) and not isinstance(value, bool) and not key.startswith("_") \
                    and key.isidentifier() and key not in avoid and key not in RESERVED_SYMBOLS:
                self.by_value.setdefault(value, []).append(key)
        self.axes = {}  # name -> value, in first-use order

    def name(self, size):
        for axis, value in self.axes.items():
            if value == size:
                return axis
        owners = self.by_value.get(size, [])
        axis = owners[0] if len(owners) == 1 and owners[0] not in self.axes else f"n{size}"
        self.axes[axis] = size
        return axis

    def shape(self, tensor):
        return [self.name(int(size)) for size in tensor.shape]


def process_inputs(torch, values, device, precision, what):
    processed = []
    for i, value in enumerate(values):
        if isinstance(value, torch.Tensor):
            value = value.to(device)
            if value.is_floating_point():
                value = value.to(precision)
            processed.append(value.contiguous())
        elif isinstance(value, (bool, int, float)):
            processed.append(value)
        else:
            fail(f"{what}: get_inputs()[{i}] is a {type(value).__name__}; ksearch passes tensors and "
                 "numbers only")
    return processed


def scalar_dtype(value):
    if isinstance(value, bool):
        return "bool"
    return "int64" if isinstance(value, int) else "float32"


def reference_source(problem_source, forward_count, state, precision_name):
    dotted = [entry[1] for entry in state]
    return problem_source.rstrip() + f"""


# ---- ksearch: this definition's call signature (tasks/kernelbench/import_problem.py) ----
import torch as _ksearch_torch

_KSEARCH_FORWARD_ARGS = {forward_count}
_KSEARCH_STATE = {json.dumps(dotted)}  # parameters, then buffers, as the inputs after forward's
_ksearch_torch.manual_seed({SEED})
_ksearch_init_inputs = get_init_inputs()
_ksearch_torch.manual_seed({SEED})
_ksearch_model = Model(*_ksearch_init_inputs).to(device="cuda" if _ksearch_torch.cuda.is_available() else "cpu",
                                                 dtype=_ksearch_torch.{precision_name})
_ksearch_loaded = None  # the state tensors last copied into the model


def run(*args):
    \"\"\"Model.forward(*args[:_KSEARCH_FORWARD_ARGS]) with the module state given by the rest.\"\"\"
    global _ksearch_loaded
    state = args[_KSEARCH_FORWARD_ARGS:]
    key = tuple((t.data_ptr(), tuple(t.shape)) for t in state)
    if key != _ksearch_loaded:  # a new set of state tensors: copied in once, not on every call
        with _ksearch_torch.no_grad():
            for name, tensor in zip(_KSEARCH_STATE, state):
                module_name, _, leaf = name.rpartition(".")
                owner = _ksearch_model.get_submodule(module_name)
                getattr(owner, leaf).copy_(tensor)
        _ksearch_loaded = key
    return _ksearch_model(*args[:_KSEARCH_FORWARD_ARGS])
"""


def save_tensors(save_file, tensors, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    # Copies: safetensors refuses tensors that share memory (tied weights, views of one input).
    save_file({name: tensor.detach().to("cpu", copy=True).contiguous() for name, tensor in tensors.items()}, str(path))


def notes_text(name, level, problem_id, problem_path, inputs, outputs, state, trials):
    lines = [f"# KernelBench level {level}, problem {problem_id}: {pathlib.Path(problem_path).stem}", "",
             "Your kernels replace `Model.forward` of the PyTorch module in the reference above, with the",
             "module's parameters and buffers passed in as inputs (the values PyTorch initialised with",
             f"seed {SEED}). Inputs in call order:", ""]
    dotted = {entry[0]: entry[1] for entry in state}
    for input_name, spec in inputs.items():
        shape = "scalar" if spec["shape"] is None else "[" + ", ".join(spec["shape"]) + "]"
        origin = f"module state `{dotted[input_name]}`" if input_name in dotted else "argument of forward"
        lines.append(f"- `{input_name}`: {spec['dtype']} {shape}, {origin}")
    lines += ["", "Outputs:", ""]
    for output_name, spec in outputs.items():
        lines.append(f"- `{output_name}`: {spec['dtype']} [" + ", ".join(spec["shape"]) + "]")
    lines += ["", f"Checked on {trials} input sets drawn by `get_inputs()` with KernelBench's per-trial seeds",
              f"and on the timed inputs (seed {SEED}); constructor arguments (`get_init_inputs()`) are",
              "constants of the problem: hard-code them where the kernel needs them.", ""]
    return "\n".join(lines)


def time_baselines(torch, oracle_server, run, model, args, forward_count, perf_trials, device):
    eager, stop = oracle_server.time_calls(run, args, device, perf_trials)
    baselines = {"eager": summary(eager, stop), "compile": None, "compile_error": None}
    try:
        compiled = torch.compile(model)
        call = lambda *a: compiled(*a[:forward_count])  # noqa: E731
        samples, stop = oracle_server.time_calls(call, args, device, perf_trials)
        baselines["compile"] = summary(samples, stop)
    except Exception as error:  # no compiler, an unsupported op: the eager baseline still stands
        baselines["compile_error"] = f"{type(error).__name__}: {str(error)[:500]}"
    return baselines


def summary(samples, stop):
    ordered = sorted(samples)
    return {"mean_ms": sum(samples) / len(samples), "median_ms": ordered[len(ordered) // 2],
            "min_ms": ordered[0], "max_ms": ordered[-1], "samples": len(samples), "stop_reason": stop}


def import_problem(args):
    try:
        import torch
        from safetensors.torch import save_file
    except Exception as error:
        print(f"import_problem.py: cannot import torch and safetensors ({error}); "
              "pip install torch safetensors", file=sys.stderr)
        sys.exit(3)
    import oracle_server
    oracle_server.torch = torch

    path = pathlib.Path(args.problem)
    try:
        problem_source = path.read_text(encoding="utf-8")
    except OSError as error:
        fail(f"problem {path}: cannot read it: {error.strerror or error}")
    use_cuda = args.device != "cpu" and torch.cuda.is_available()
    device = f"cuda:{int(args.device)}" if use_cuda else "cpu"
    if use_cuda:
        torch.cuda.set_device(device)
    precision_name = PRECISIONS[args.precision]
    precision = getattr(torch, precision_name)
    module = load_problem(path, args.level, args.problem_id)

    with torch.no_grad():
        set_seed(torch, SEED)
        init_inputs = module.get_init_inputs()
        set_seed(torch, SEED)
        model = module.Model(*init_inputs).to(device=device, dtype=precision)
    model.eval()

    torch.manual_seed(SEED)
    trial_seeds = [torch.randint(0, 2**32 - 1, (1,)).item() for _ in range(args.trials)]
    input_sets = []
    for seed in trial_seeds:
        set_seed(torch, seed)
        input_sets.append((f"trial-{len(input_sets) + 1}-seed-{seed}",
                           process_inputs(torch, module.get_inputs(), device, precision, f"problem {path}")))
    set_seed(torch, SEED)
    input_sets.append((f"perf-seed-{SEED}", process_inputs(torch, module.get_inputs(), device, precision, f"problem {path}")))

    first = input_sets[-1][1]
    names = forward_names(model, len(first), path)
    for uuid, values in input_sets:
        for i, (value, reference) in enumerate(zip(values, first)):
            tensor = isinstance(reference, torch.Tensor)
            same = (isinstance(value, torch.Tensor) and value.shape == reference.shape and value.dtype == reference.dtype) \
                if tensor else value == reference
            if not same:
                fail(f"problem {path}: get_inputs()[{i}] ({names[i]}) differs in shape, dtype or (a number) value "
                     f"between seeds ({uuid}); ksearch needs fixed shapes and scalars")
    state = state_entries(model, set(names))
    namer = AxisNamer(module, set(names) | {entry[0] for entry in state})
    inputs = {}
    for name, value in zip(names, first):
        if isinstance(value, torch.Tensor):
            inputs[name] = {"shape": namer.shape(value), "dtype": dtype_name(torch, value.dtype, f"input {name}")}
        else:
            inputs[name] = {"shape": None, "dtype": scalar_dtype(value)}
    for name, dotted, tensor in state:
        inputs[name] = {"shape": namer.shape(tensor), "dtype": dtype_name(torch, tensor.dtype, f"state {dotted}"),
                        "description": f"module state {dotted}"}

    name = definition_name(args.level, args.problem_id, path)
    source = reference_source(problem_source, len(names), state, precision_name)
    namespace = {"__name__": "reference"}
    try:
        exec(compile(source, f"<reference:{name}>", "exec"), namespace)
    except Exception as error:
        fail(f"problem {path}: building the reference raised {type(error).__name__}: {error}")
    run = namespace["run"]
    state_tensors = [tensor.detach() for _, _, tensor in state]
    with torch.inference_mode():
        result = run(*first, *state_tensors)
    values = list(result) if isinstance(result, (tuple, list)) else [result]
    if not values or not all(isinstance(v, torch.Tensor) for v in values):
        fail(f"problem {path}: Model.forward returned {type(result).__name__}; ksearch needs a tensor or a tuple of tensors")
    output_names = ["output"] if len(values) == 1 and not isinstance(result, (tuple, list)) else \
        [f"output_{i}" for i in range(len(values))]
    outputs = {n: {"shape": namer.shape(v), "dtype": dtype_name(torch, v.dtype, f"output {n}")}
               for n, v in zip(output_names, values)}

    out = pathlib.Path(args.out)
    staging = out.with_name(out.name + f".tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    blob = pathlib.Path("blob") / "kernelbench" / name
    if state:
        save_tensors(save_file, {entry[0]: entry[2] for entry in state}, staging / blob / "state.safetensors")
    workloads = []
    for uuid, values_ in input_sets:
        file = blob / f"{uuid}.safetensors"
        tensors = {n: v for n, v in zip(names, values_) if isinstance(v, torch.Tensor)}
        save_tensors(save_file, tensors, staging / file)
        spec = {n: ({"type": "safetensors", "path": str(file), "tensor_key": n} if n in tensors
                    else {"type": "scalar", "value": v}) for n, v in zip(names, values_)}
        for entry in state:
            spec[entry[0]] = {"type": "safetensors", "path": str(blob / "state.safetensors"), "tensor_key": entry[0]}
        workloads.append({"definition": name, "solution": None, "evaluation": None,
                          "workload": {"uuid": uuid, "axes": {}, "inputs": spec}})

    definition = {
        "name": name, "op_type": "kernelbench",
        "description": f"KernelBench level {args.level} problem {args.problem_id} ({path.name}): Model.forward as CUDA",
        "tags": ["kernelbench", f"level:{args.level}", f"precision:{args.precision}"],
        "axes": {axis: {"type": "const", "value": value} for axis, value in namer.axes.items()},
        "inputs": inputs, "outputs": outputs, "reference": source}
    (staging / "definitions" / "kernelbench").mkdir(parents=True)
    (staging / "definitions" / "kernelbench" / f"{name}.json").write_text(json.dumps(definition, indent=2) + "\n")
    (staging / "workloads" / "kernelbench").mkdir(parents=True)
    (staging / "workloads" / "kernelbench" / f"{name}.jsonl").write_text(
        "".join(json.dumps(w) + "\n" for w in workloads))
    (staging / "notes").mkdir()
    (staging / "notes" / f"{name}.md").write_text(
        notes_text(name, args.level, args.problem_id, path, inputs, outputs, state, args.trials))

    baselines = None
    if use_cuda and args.perf_trials > 0:
        with torch.no_grad():
            baselines = time_baselines(torch, oracle_server, run, namespace["_ksearch_model"],
                                       [*first, *state_tensors], len(names), args.perf_trials, device)
    manifest = {
        "format": FORMAT, "level": args.level, "problem_id": args.problem_id, "problem_file": str(path.resolve()),
        "source_sha256": hashlib.sha256(problem_source.encode()).hexdigest(), "definition": name,
        "trials": args.trials, "trial_seeds": trial_seeds, "precision": args.precision, "perf_trials": args.perf_trials,
        "device": torch.cuda.get_device_name(device) if use_cuda else "cpu", "torch": str(torch.__version__),
        "baselines": baselines}
    (staging / "kernelbench.json").write_text(json.dumps(manifest, indent=2) + "\n")
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
    return {"dataset": str(out), "definition": name, "inputs": list(inputs), "outputs": list(outputs),
            "workloads": [w["workload"]["uuid"] for w in workloads], "baselines": baselines}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problem", required=True, help="the problem file, <id>_<Name>.py")
    parser.add_argument("--level", type=int, required=True)
    parser.add_argument("--problem-id", type=int, required=True)
    parser.add_argument("--out", required=True, help="the dataset folder to write (replaced)")
    parser.add_argument("--trials", type=int, default=5, help="correctness trials (input sets)")
    parser.add_argument("--precision", choices=sorted(PRECISIONS), default="fp32")
    parser.add_argument("--perf-trials", type=int, default=100, help="timed calls per baseline; 0: none")
    parser.add_argument("--device", default="0", help="CUDA ordinal, or cpu")
    args = parser.parse_args()
    if args.trials < 1:
        parser.error("--trials must be at least 1")
    try:
        print(json.dumps(import_problem(args)))
    except ImportFailure as failure:
        print(f"import_problem.py: {failure}", file=sys.stderr)
        return 1
    except Exception as error:  # a problem's own code failing in an unexpected place
        frame = traceback.extract_tb(error.__traceback__)[-1]
        print(f"import_problem.py: problem {args.problem}: {type(error).__name__}: {error} "
              f"[{frame.filename} line {frame.lineno}]", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
