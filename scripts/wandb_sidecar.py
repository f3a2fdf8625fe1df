#!/usr/bin/env python3
"""Stream a ksearch run's metrics.jsonl into Weights & Biases.

    wandb_sidecar.py RUN_DIR [--project P] [--entity E] [--name N] [--poll-seconds S] [--once]

RUN_DIR is the folder a run writes (<artifacts-dir>/<definition>). The sidecar follows
RUN_DIR/metrics.jsonl like `tail -f` and logs each round's numeric fields to one W&B run, with
step = the line's `round`; the run's config comes from RUN_DIR/run.json. It stops after a last
read when a session of the run that it saw running ends (run.json: sessions[-1].ended), on
SIGTERM or SIGINT, or at once with --once (sync what is there, then exit).

Restarting is safe: the last logged round and the W&B run's id, project and entity are kept
in RUN_DIR/.wandb_sidecar_state.json (replaced atomically), so no round is logged twice and a
resumed search continues the same W&B run. The API key comes from WANDB_API_KEY or `wandb
login`, never from the command line. Exit codes: 0 done, 1 error, 2 bad usage or wandb missing.
"""

import argparse
import json
import math
import os
import secrets
import signal
import sys
import tempfile
import time

PROG = "wandb_sidecar"
STATE_FILE = ".wandb_sidecar_state.json"


def say(message):
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)


class StateError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Following metrics.jsonl


class MetricsTail:
    """Returns the complete lines appended to a file since the previous call.

    A missing file reads as empty; a last line without its newline waits for the rest. A file
    that was replaced or truncated is read again from its start: the state decides which rounds
    are new, so nothing is logged twice.
    """

    def __init__(self, path):
        self.path = path
        self.offset = 0
        self.partial = b""
        self.inode = None

    def read_lines(self):
        try:
            f = open(self.path, "rb")
        except FileNotFoundError:
            return []
        with f:
            st = os.fstat(f.fileno())
            if self.inode is not None and (st.st_ino != self.inode or st.st_size < self.offset):
                self.offset, self.partial = 0, b""
            self.inode = st.st_ino
            f.seek(self.offset)
            data = f.read()
        self.offset += len(data)
        *complete, self.partial = (self.partial + data).split(b"\n")
        return [line.decode("utf-8", "replace") for line in complete if line.strip()]

    def has_unfinished_line(self):
        return bool(self.partial.strip())


def parse_record(line):
    """A metrics line as a dict with an integer `round`, or None (said why)."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as e:
        say(f"skipping a line that is not JSON ({e}): {line[:120]!r}")
        return None
    if not isinstance(record, dict):
        say(f"skipping a line that is not a JSON object: {line[:120]!r}")
        return None
    step = record.get("round")
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        say(f"skipping a line without a round number: {line[:120]!r}")
        return None
    return record


def numeric_fields(record):
    """What W&B can plot: numbers (booleans as 0/1); nulls, strings and the round itself left out."""
    out = {}
    for key, value in record.items():
        if key == "round":
            continue
        if isinstance(value, bool):
            out[key] = int(value)
        elif isinstance(value, (int, float)) and math.isfinite(value):
            out[key] = value
    return out


# ---------------------------------------------------------------------------------------------
# State: the last logged round and the W&B run id


def new_state():
    return {"last_round": None, "wandb_run_id": None, "wandb_project": None, "wandb_entity": None}


def load_state(run_dir):
    path = os.path.join(run_dir, STATE_FILE)
    try:
        with open(path, encoding="utf-8") as f:
            state = json.load(f)
    except FileNotFoundError:
        return new_state()
    except (OSError, ValueError) as e:
        raise StateError(f"{path}: unreadable ({e}); delete it to log the whole run again") from e
    bad = StateError(f"{path}: not a sidecar state; delete it to log the whole run again")
    if not isinstance(state, dict):
        raise bad
    out = new_state()
    for key in out:
        out[key] = state.get(key)
    last = out["last_round"]
    if last is not None and (isinstance(last, bool) or not isinstance(last, int)):
        raise bad
    if any(out[key] is not None and not isinstance(out[key], str) for key in out if key != "last_round"):
        raise bad
    return out


def save_state(run_dir, state):
    """Write to a temporary file in the same folder, fsync, rename over the old state."""
    fd, tmp = tempfile.mkstemp(dir=run_dir, prefix=STATE_FILE + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(state, f)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, os.path.join(run_dir, STATE_FILE))
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    dir_fd = os.open(run_dir, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the rename itself survives a crash
    finally:
        os.close(dir_fd)


def forward_rounds(lines, state, log, save):
    """Logs the rounds after state["last_round"], in file order; saves the state after each.

    Logging comes before saving: a crash in between logs that round again after a restart, and
    W&B drops a step it already has. Returns how many rounds were logged.
    """
    logged = 0
    for line in lines:
        record = parse_record(line)
        if record is None:
            continue
        step = record["round"]
        if state["last_round"] is not None and step <= state["last_round"]:
            continue
        log(step, numeric_fields(record))
        state["last_round"] = step
        save(state)
        logged += 1
    return logged


# ---------------------------------------------------------------------------------------------
# run.json: config and the end of a session


def read_run_json(run_dir):
    path = os.path.join(run_dir, "run.json")
    try:
        with open(path, encoding="utf-8") as f:
            run = json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        say(f"{path}: unreadable for now ({e})")
        return None
    return run if isinstance(run, dict) else None


def sessions_of(run):
    sessions = run.get("sessions") if run else None
    return [s for s in sessions if isinstance(s, dict)] if isinstance(sessions, list) else []


def last_session_ended(run):
    sessions = sessions_of(run)
    return bool(sessions) and bool(sessions[-1].get("ended"))


class EndWatch:
    """Says when a session this sidecar saw running, or saw start, has ended.

    A session that had already ended when the sidecar started does not count: a launcher starts
    the sidecar before `ksearch --resume` adds its new session to run.json.
    """

    def __init__(self, run):
        self.sessions_at_start = len(sessions_of(run))
        self.ended_at_start = last_session_ended(run)

    def waiting_for_new_session(self):
        return self.ended_at_start

    def finished(self, run):
        if not last_session_ended(run):
            return False
        return len(sessions_of(run)) > self.sessions_at_start or not self.ended_at_start


def run_config(run):
    """The W&B config: the last session's flags, the task as ksearch describes it, the version."""
    sessions = sessions_of(run)
    flags = sessions[-1].get("config") if sessions else None
    config = dict(flags) if isinstance(flags, dict) else {}
    if "task" in run:
        config["task_detail"] = run["task"]
    if "ksearch" in run:
        config["ksearch_version"] = run["ksearch"]
    config["sessions"] = len(sessions)
    return config


def session_summary(run):
    sessions = sessions_of(run)
    if not sessions or not sessions[-1].get("ended"):
        return {}
    last = sessions[-1]
    return {key: last[key] for key in ("stop_reason", "last_round", "best_score") if last.get(key) is not None}


# ---------------------------------------------------------------------------------------------
# W&B


class WandbRun:
    """One W&B run per run folder, started when there is something to log, resumed by id."""

    def __init__(self, wandb, args, state, save):
        self.wandb = wandb
        self.args = args
        self.state = state
        self.save = save
        self.run = None
        self.config = None

    def start(self, run):
        if self.run is not None:
            return
        # The id, project and entity are kept before init, so that a restart resumes this W&B
        # run rather than starting another (a run id is only unique within its project).
        s = self.state
        s["wandb_run_id"] = s["wandb_run_id"] or secrets.token_hex(6)
        s["wandb_project"] = self.args.project or s["wandb_project"] or os.environ.get("WANDB_PROJECT") or "ksearch"
        s["wandb_entity"] = self.args.entity or s["wandb_entity"]
        self.save(s)
        project = s["wandb_project"]
        config = run_config(run) if run else {}
        name = self.args.name or config.get("run_name") or os.path.basename(os.path.abspath(self.args.run_dir))
        self.run = self.wandb.init(
            project=project,
            entity=s["wandb_entity"],
            name=name,
            id=self.state["wandb_run_id"],
            resume="allow",
            config=config,
            # W&B's local files go with the run (RUN_DIR/wandb), not into the current folder.
            dir=os.environ.get("WANDB_DIR") or self.args.run_dir,
        )
        self.config = config if run else None
        say(f"logging to W&B run {self.state['wandb_run_id']} (project {project})")

    def update_config(self, run):
        if self.run is None or not run:
            return
        config = run_config(run)
        if config != self.config:  # a new session: resume flags, a new model, ...
            self.run.config.update(config, allow_val_change=True)
            self.config = config

    def log(self, step, data):
        self.run.log(data, step=step)

    def finish(self, run):
        if self.run is None:
            return
        for key, value in session_summary(run).items():
            self.run.summary[key] = value
        self.run.finish()
        self.run = None


# ---------------------------------------------------------------------------------------------


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="wandb_sidecar.py",
        description="Stream a ksearch run's metrics.jsonl into Weights & Biases.",
        epilog="The API key comes from WANDB_API_KEY or `wandb login`.",
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="the run's folder: <artifacts-dir>/<definition>")
    p.add_argument("--project", help="W&B project (default: the one this folder used before, else $WANDB_PROJECT, else ksearch)")
    p.add_argument("--entity", help="W&B entity (default: the one this folder used before, else W&B's default)")
    p.add_argument("--name", help="W&B run name (default: run.json's run_name, else the folder's name)")
    p.add_argument("--poll-seconds", type=float, default=2.0, help="seconds between reads (default 2)")
    p.add_argument("--once", action="store_true", help="log what is there now, then exit")
    args = p.parse_args(argv)
    if not args.poll_seconds > 0:
        p.error("--poll-seconds must be > 0")
    return args


def main(argv=None):
    args = parse_args(argv)
    try:
        import wandb
    except ImportError:
        say("the wandb package is not installed: pip install wandb")
        return 2

    run_dir = args.run_dir
    try:
        state = load_state(run_dir)
    except StateError as e:
        say(str(e))
        return 1

    stop = {"signal": None}

    def on_signal(signum, _frame):
        stop["signal"] = signum

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def save(s):
        save_state(run_dir, s)

    tail = MetricsTail(os.path.join(run_dir, "metrics.jsonl"))
    watch = EndWatch(read_run_json(run_dir))
    sink = WandbRun(wandb, args, state, save)
    if not args.once and watch.waiting_for_new_session():
        say("run.json's last session has ended; following until a new one ends (--once syncs and exits)")

    run = None
    while True:
        # Decided before reading, so that the read below is the last one after a stop.
        last = args.once or stop["signal"] is not None
        # run.json before metrics.jsonl: ksearch writes a round's metrics before it ends the session.
        run = read_run_json(run_dir)
        if not last and watch.finished(run):
            last = True
        lines = tail.read_lines()
        if lines or run:
            sink.start(run)
            sink.update_config(run)
        logged = forward_rounds(lines, state, sink.log, save)
        if logged:
            say(f"logged {logged} round(s), up to round {state['last_round']}")
        if last:
            break
        deadline = time.monotonic() + args.poll_seconds
        while stop["signal"] is None and time.monotonic() < deadline:
            time.sleep(min(0.2, args.poll_seconds))

    if tail.has_unfinished_line():
        say("metrics.jsonl ends in an unfinished line; left for a later read")
    if sink.run is None:
        say(f"nothing to log yet in {run_dir}")
    sink.finish(run)
    return 0


if __name__ == "__main__":
    sys.exit(main())
