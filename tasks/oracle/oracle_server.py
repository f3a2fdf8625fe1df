#!/usr/bin/env python3
"""Runs a FlashInfer Trace definition's own Python `reference` for ksearch's evaluator, on request.

For definitions without a native CUDA reference, the C++ evaluator starts this script once per
definition and keeps it running: each request names safetensors files holding the inputs, and
the script calls the reference's `run` with PyTorch on the GPU, writes the outputs to a
safetensors file and, when asked, times `run`. The protocol is in tasks/oracle/README.md; briefly:

    python3 tasks/oracle/oracle_server.py --definition PATH.json [--device N]
    python3 tasks/oracle/oracle_server.py --self-test [--device N]   # imports and CUDA only

It speaks ksearch's worker protocol (include/ksearch/eval/isolation/worker_protocol.h): stdout carries
protocol lines only, one JSON object each; everything else goes to stderr. Each stdin line is a
request {"id": N, "type": T, ...} answered by {"id": N, "ok": true, "result": {...}} or
{"id": N, "ok": false, "error": {"subject": ..., "problem": ..., "fix": ...}}. Types:
    ping    -> {"protocol": 1, "pid": ..., "version": "oracle_server.py"}
    status  -> {"ready": bool, "problem": "why not", "definition": NAME or null, "python": ...,
                "torch": ..., "device": ...}  (a server that cannot work still answers this)
    run     {"inputs": [FILE, ...], "scalars": {NAME: NUMBER}, "outputs": FILE, "time": false,
             "samples": N (optional: time exactly N calls instead of the adaptive rule)}
            -> {"latency_ms": ..., "median_ms": ..., "samples_ms": [...], "stop_reason": ...}
End of input: exit status 0. --self-test prints the status object as one line and exits with 0
when ready, 3 when not.

Needs PyTorch with CUDA and the safetensors package. The reference must not modify its inputs:
loaded files are cached across requests and the same tensors are passed to every call.
"""

import argparse
import json
import os
import pathlib
import platform
import statistics
import sys
import time
import traceback

torch = None  # imported by import_backends(), so that a missing package gives a not-ready line
load_file = save_file = None

SCHEMA_DTYPES = ("float32", "float16", "bfloat16", "float8_e4m3fn", "float8_e5m2",
                 "int64", "int32", "int16", "int8", "uint8", "bool")
INT_DTYPES = ("int64", "int32", "int16", "int8", "uint8")
INSTALL_HINT = "the oracle server needs torch and safetensors: pip install torch safetensors"
FLUSH_BYTES = 256 << 20  # zeroed before each timed call: evicts the L2 of any current GPU
WARMUP_CALLS = 3
MIN_SAMPLES, MIN_MEASURED_MS = 10, 100.0
MAX_SAMPLES, MAX_WALL_S = 1000, 2.0
COUNT_MAX_WALL_S = 60.0  # an exact sample count (KernelBench's perf trials) stops here anyway
MAX_MESSAGE_CHARS = 4000  # an assertion message can hold a whole tensor's repr
PROTOCOL_VERSION = 1  # ksearch's worker_protocol_version


class Failure(Exception):
    """An error whose message is the whole report; no traceback is shown."""


def take_over_stdout():
    """The protocol stream. fd 1 and sys.stdout are pointed at stderr afterwards, so neither a
    print in the reference nor a write by a C library can land between protocol lines."""
    sys.stdout.flush()
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return protocol


def send(protocol, message):
    try:
        protocol.write(json.dumps(message) + "\n")
        protocol.flush()
    except (BrokenPipeError, ConnectionResetError):
        os._exit(1)  # the evaluator is gone: nobody is left to report to


def read_definition(path):
    where = f"definition {path}"
    try:
        definition = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise Failure(f"cannot read {where}: {error.strerror or error}")
    except ValueError as error:  # bad JSON or bad UTF-8
        raise Failure(f"cannot parse {where}: {error}")
    if not isinstance(definition, dict):
        raise Failure(f"{where}: not a JSON object")
    if not isinstance(definition.get("name"), str) or not definition["name"]:
        raise Failure(f'{where}: no "name" string')
    if not isinstance(definition.get("reference"), str) or not definition["reference"].strip():
        raise Failure(f'{where}: no "reference" string (Python source defining `run`)')
    for field in ("inputs", "outputs"):
        entries = definition.get(field)
        if not isinstance(entries, dict) or (field == "outputs" and not entries):
            raise Failure(f'{where}: "{field}" must be an object of name -> {{"shape", "dtype"}}')
        for name, spec in entries.items():
            if not isinstance(spec, dict) or spec.get("dtype") not in SCHEMA_DTYPES:
                raise Failure(f"{where}: {field}.{name}: dtype must be one of {', '.join(SCHEMA_DTYPES)}")
            if spec.get("shape") is not None and not isinstance(spec["shape"], list):
                raise Failure(f"{where}: {field}.{name}: shape must be a list of axes or null")
    return definition


def import_backends():
    global torch, load_file, save_file
    missing = []
    try:
        import torch as imported
        torch = imported
    except Exception as error:  # a broken install raises more than ImportError
        missing.append(f"torch ({error})")
    try:
        import safetensors  # noqa: F401  (its torch half needs torch, so it is imported below)
    except Exception as error:
        missing.append(f"safetensors ({error})")
    if missing:
        raise Failure(f"cannot import {', '.join(missing)}; {INSTALL_HINT}")
    try:
        from safetensors.torch import load_file, save_file
    except Exception as error:
        raise Failure(f"cannot import safetensors.torch ({error}); {INSTALL_HINT}")


def open_device(ordinal):
    if not torch.cuda.is_available():
        raise Failure(f"CUDA is not available to torch {torch.__version__} (built for CUDA "
                      f"{torch.version.cuda}); the oracle server runs references on the GPU")
    count = torch.cuda.device_count()
    if not 0 <= ordinal < count:
        raise Failure(f"--device {ordinal}: torch sees {count} CUDA device(s), numbered from 0 "
                      "(after CUDA_VISIBLE_DEVICES)")
    try:
        torch.cuda.set_device(ordinal)
        return torch.cuda.get_device_name(ordinal)
    except RuntimeError as error:
        raise Failure(f"cannot use CUDA device {ordinal}: {error}")


def describe(error, filename, source_lines):
    """'Type: message', plus the innermost frame of the traceback that lies in the reference."""
    message = str(error)[:MAX_MESSAGE_CHARS]
    text = f"{type(error).__name__}: {message}" if message else type(error).__name__
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename == filename]
    if frames:
        frame = frames[-1]
        code = source_lines[frame.lineno - 1].strip() if 0 < (frame.lineno or 0) <= len(source_lines) else ""
        text += f" [{filename} line {frame.lineno}, in {frame.name}: {code}]"
    return text


class Oracle:
    def __init__(self, definition, path, ordinal):
        self.name = definition["name"]
        self.inputs, self.outputs = definition["inputs"], definition["outputs"]
        axes = definition.get("axes") if isinstance(definition.get("axes"), dict) else {}
        self.const_axes = {axis: spec["value"] for axis, spec in axes.items()
                           if isinstance(spec, dict) and spec.get("type") == "const"}
        self.device = f"cuda:{ordinal}"
        self.dtypes = {}
        for spec in list(self.inputs.values()) + list(self.outputs.values()):
            if not isinstance(getattr(torch, spec["dtype"], None), torch.dtype):
                raise Failure(f"definition {path}: torch {torch.__version__} has no dtype {spec['dtype']}")
            self.dtypes[spec["dtype"]] = getattr(torch, spec["dtype"])
        self.cache = {}  # path -> ((st_mtime_ns, st_size), {name: tensor on the device})

        source = definition["reference"]
        self.filename = f"<reference:{self.name}>"  # how its frames are found in a traceback
        self.source_lines = source.splitlines()
        namespace = {"__name__": "reference"}
        try:
            exec(compile(source, self.filename, "exec"), namespace)
        except Exception as error:
            message = describe(error, self.filename, self.source_lines)
            raise Failure(f"definition {path}: field `reference`: {message}")
        self.run = namespace.get("run")
        if not callable(self.run):
            raise Failure(f"definition {path}: field `reference` defines no callable `run`")

    def handle(self, request):
        files = request.get("inputs")
        if not isinstance(files, list) or not all(isinstance(file, str) for file in files):
            raise Failure('"inputs" must be a list of safetensors file paths')
        scalars = request.get("scalars", {})
        if not isinstance(scalars, dict):
            raise Failure('"scalars" must be an object of name -> number')
        destination = request.get("outputs")
        if not isinstance(destination, str) or not destination:
            raise Failure('"outputs" must be the path of the safetensors file to write')
        timed = request.get("time", False)
        if not isinstance(timed, bool):
            raise Failure('"time" must be true or false')
        count = request.get("samples")
        if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 1):
            raise Failure('"samples" must be a positive integer (an exact sample count) or absent')

        args = self.arguments(files, self.load(files), scalars)
        result = self.attempt("run()", lambda: self.call(args))
        self.save(self.collect(result), destination)
        del result
        if not timed:
            return {"latency_ms": None, "median_ms": None, "samples_ms": []}
        samples, stop_reason = self.attempt("run() while timing", lambda: self.time_calls(args, count))
        return {"latency_ms": statistics.mean(samples), "median_ms": statistics.median(samples),
                "samples_ms": samples, "stop_reason": stop_reason}

    def load(self, files):
        """{name: tensor} of each file, from the cache while the file's mtime and size are unchanged."""
        keys = {}
        for path in files:
            try:
                status = os.stat(path)
            except OSError as error:
                raise Failure(f"cannot read input file {path}: {error.strerror or error}")
            keys[path] = (status.st_mtime_ns, status.st_size)
        # Drop what this request does not use before loading, so two large caches never coexist.
        for path in [path for path, (key, _) in self.cache.items() if keys.get(path) != key]:
            del self.cache[path]
        for path in files:
            if path not in self.cache:
                try:
                    self.cache[path] = (keys[path], load_file(path, device=self.device))
                except Exception as error:
                    raise Failure(f"cannot load input file {path}: {type(error).__name__}: {error}")
                print(f"oracle_server.py: loaded {path} ({keys[path][1]} bytes)", file=sys.stderr)
        return [self.cache[path][1] for path in files]

    def arguments(self, files, loaded, scalars):
        """The arguments of run() in the definition's input order; tensors are checked against it."""
        args, sizes = [], {}  # sizes: var axis -> size, as the first input having it says
        for name, spec in self.inputs.items():
            if spec.get("shape") is None:
                args.append(self.scalar(name, spec["dtype"], scalars))
                continue
            tensor = next((tensors[name] for tensors in loaded if name in tensors), None)
            if tensor is None:
                raise Failure(f"input {name!r} is in none of the given files: {', '.join(files) or '(none)'}")
            if tensor.dtype != self.dtypes[spec["dtype"]]:
                raise Failure(f"input {name!r}: dtype {str(tensor.dtype).replace('torch.', '')} in the "
                              f"file, the definition says {spec['dtype']}")
            shape = spec["shape"]
            if tensor.dim() != len(shape):
                raise Failure(f"input {name!r}: shape {list(tensor.shape)}, the definition says {shape}")
            for axis, size in zip(shape, tensor.shape):
                if isinstance(axis, int):
                    expected = axis
                elif axis in self.const_axes:
                    expected = self.const_axes[axis]
                else:
                    expected = sizes.setdefault(axis, size)
                if size != expected:
                    raise Failure(f"input {name!r}: shape {list(tensor.shape)}, but axis {axis} is "
                                  f"{expected}{'' if axis in self.const_axes else ' in an earlier input'}")
            args.append(tensor)
        return args

    @staticmethod
    def scalar(name, dtype, scalars):
        if name not in scalars:
            given = ", ".join(scalars) or "none"
            raise Failure(f'scalar input {name!r} is missing from "scalars" (given: {given})')
        value = scalars[name]
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if dtype == "bool":
            if isinstance(value, bool):
                return value
            wanted = "true or false"
        elif dtype in INT_DTYPES:
            if number and float(value).is_integer():
                return int(value)
            wanted = "an integer"
        else:
            if number:
                return float(value)
            wanted = "a number"
        raise Failure(f"scalar input {name!r} ({dtype}): {json.dumps(value)} is not {wanted}")

    def attempt(self, what, action):
        """action(), with an exception turned into a Failure that names the reference line."""
        try:
            return action()
        except Exception as error:
            message = describe(error, self.filename, self.source_lines)
        # Raised outside the except block: the traceback, which holds the call's tensors, is freed.
        raise Failure(f"{what} raised {message}")

    def call(self, args):
        with torch.inference_mode():
            result = self.run(*args)
        torch.cuda.synchronize()  # an asynchronous CUDA error is then reported as this call's
        return result

    def collect(self, result):
        """{output name: CPU tensor of the definition's dtype} from what run() returned."""
        names = list(self.outputs)
        if isinstance(result, dict):
            if set(result) != set(names):
                raise Failure(f"run() returned a dict with keys {', '.join(map(str, result))}; "
                              f"the definition's outputs are {', '.join(names)}")
            values = [result[name] for name in names]
        elif isinstance(result, (tuple, list)):
            values = list(result)
        else:
            values = [result]
        if len(values) != len(names):
            raise Failure(f"run() returned {len(values)} output(s); "
                          f"the definition has {len(names)}: {', '.join(names)}")
        tensors = {}
        for name, value in zip(names, values):
            dtype = self.dtypes[self.outputs[name]["dtype"]]
            if isinstance(value, (bool, int, float)):
                value = torch.tensor(value, dtype=dtype)
            if not isinstance(value, torch.Tensor):
                raise Failure(f"output {name!r}: run() returned a {type(value).__name__}, not a tensor")
            # A copy on the CPU: safetensors refuses outputs that share memory (say, two views of one tensor).
            tensors[name] = value.to(dtype).contiguous().to("cpu", copy=True)
        return tensors

    @staticmethod
    def save(tensors, destination):
        try:
            save_file(tensors, destination)
        except Exception as error:
            raise Failure(f"cannot write {destination}: {type(error).__name__}: {error}")

    def time_calls(self, args, samples):
        return time_calls(self.run, args, self.device, samples)


def time_calls(run, args, device, samples=None):
    """Milliseconds per call of run(*args), each measured with a cold L2, and why sampling stopped.
    `samples`: exactly that many (KernelBench's perf trials, within the wall budget of a count);
    None: the adaptive rule (at least MIN_SAMPLES and MIN_MEASURED_MS, at most MAX_SAMPLES or
    MAX_WALL_S). Shared with tasks/kernelbench/import_problem.py, which times its baselines so."""
    flush = torch.empty(FLUSH_BYTES, dtype=torch.int8, device=device)
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    wall_limit = COUNT_MAX_WALL_S if samples else MAX_WALL_S
    measured, first_sample_done = [], None
    with torch.inference_mode():
        for _ in range(WARMUP_CALLS):
            run(*args)
        torch.cuda.synchronize()
        while True:
            flush.zero_()  # not timed: it runs before the start event on the same stream
            start.record()
            run(*args)
            end.record()
            end.synchronize()
            measured.append(start.elapsed_time(end))
            if first_sample_done is None:
                first_sample_done = time.perf_counter()
            if samples:
                if len(measured) >= samples:
                    return measured, f"{samples} samples asked for"
            elif len(measured) >= MIN_SAMPLES and sum(measured) >= MIN_MEASURED_MS:
                return measured, f"{MIN_SAMPLES}+ samples and {MIN_MEASURED_MS:g} ms measured"
            elif len(measured) >= MAX_SAMPLES:
                return measured, f"{MAX_SAMPLES} samples"
            if time.perf_counter() - first_sample_done >= wall_limit:
                return measured, f"{wall_limit:g} s wall-clock budget"


def serve(protocol, status, oracle):
    """Answers requests until end of input. `oracle` is None when the server cannot work; ping and
    status are still answered, so ksearch can say why."""
    for line in iter(sys.stdin.buffer.readline, b""):
        if not line.strip():
            continue  # a blank line is no request and gets no reply
        request_id = None
        try:
            try:
                request = json.loads(line)
            except ValueError as error:  # bad JSON or bad UTF-8
                raise Failure(f"malformed request line: {error}")
            if not isinstance(request, dict):
                raise Failure("malformed request line: not a JSON object")
            request_id = request.get("id")
            kind = request.get("type")
            if kind == "ping":
                result = {"protocol": PROTOCOL_VERSION, "pid": os.getpid(), "version": "oracle_server.py"}
            elif kind == "status":
                result = status
            elif kind == "run":
                if oracle is None:
                    raise Failure(status["problem"] or "the server was started without --definition")
                result = oracle.handle(request)
            else:
                raise Failure(f"unknown request type {kind!r}; known: ping, status, run")
            reply = {"id": request_id, "ok": True, "result": result}
        except Failure as failure:
            reply = {"id": request_id, "ok": False,
                     "error": {"subject": f"oracle_server.py request {request_id}", "problem": str(failure)}}
        except Exception as error:  # a bug here must not end the server
            reply = {"id": request_id, "ok": False,
                     "error": {"subject": "oracle_server.py",
                               "problem": f"internal error: {type(error).__name__}: {error}"}}
        if torch is not None:
            try:  # the evaluator shares the GPU: hand back what PyTorch cached (the input cache stays)
                torch.cuda.empty_cache()
            except RuntimeError:
                pass  # a broken CUDA context; the failed request's error already says so
        send(protocol, reply)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--definition", type=pathlib.Path, help="the FlashInfer Trace definition (.json)")
    parser.add_argument("--self-test", action="store_true",
                        help="only check the imports and CUDA, print the status line and exit")
    parser.add_argument("--device", type=int, default=0, help="CUDA ordinal (default 0)")
    args = parser.parse_args()
    protocol = take_over_stdout()

    status = {"ready": False, "problem": "", "definition": None, "python": platform.python_version(),
              "torch": None, "device": None}
    oracle = None
    try:
        definition = read_definition(args.definition) if args.definition is not None else None
        import_backends()
        status["torch"] = str(torch.__version__)
        status["device"] = open_device(args.device)
        if definition is not None:
            oracle = Oracle(definition, args.definition, args.device)
            status["definition"] = definition["name"]
        status["ready"] = True
    except Failure as failure:
        status["problem"] = str(failure)
    except Exception as error:
        status["problem"] = f"oracle_server.py internal error: {type(error).__name__}: {error}"
    if args.self_test:
        send(protocol, status)
        return 0 if status["ready"] else 3
    serve(protocol, status, oracle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
