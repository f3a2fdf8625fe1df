#!/usr/bin/env python3
"""An OpenAI-compatible chat endpoint on loopback that answers every call with the same candidate
after a fixed delay: a stand-in for a real model when measuring how a search spends its time
(scripts/bench_search_throughput.sh). Each reply gets a comment line with its call number, so no
two candidates are identical and each is compiled and evaluated.

  canned_llm_endpoint.py --solution SOLUTION.json --delay 5 --port-file PORT_FILE

The port it listens on (chosen by the system) is written to PORT_FILE once it accepts calls.
"""
import argparse
import os
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def candidate_text(solution, call):
    files = {s["path"]: s["content"] for s in solution["sources"]}
    kernel = files["kernel.cu"] + f"\n// canned reply {call}\n"
    return (f'<file path="kernel.cu">\n{kernel}</file>\n'
            f'<file path="launch.json">\n{files["launch.json"]}</file>\n')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--solution", required=True, help="a solution JSON with kernel.cu and launch.json")
    parser.add_argument("--delay", type=float, default=5.0, help="seconds before each reply")
    parser.add_argument("--port-file", required=True)
    args = parser.parse_args()
    with open(args.solution) as f:
        solution = json.load(f)
    calls = itertools.count(1)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            request = json.loads(body or b"{}")
            with lock:
                call = next(calls)
            time.sleep(args.delay)
            reply = {"id": f"canned-{call}", "object": "chat.completion", "model": request.get("model", "canned"),
                     "choices": [{"index": 0, "finish_reason": "stop",
                                  "message": {"role": "assistant", "content": candidate_text(solution, call)}}],
                     "usage": {"prompt_tokens": 1000, "completion_tokens": 2000, "total_tokens": 3000}}
            data = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
