"""HTTP load from a separate process: wrk, driven by a generated Lua script.

Every request comes from a fixed list of (path, session cookie) pairs, taken
in turn (each wrk thread starts at a different offset), so the mix, the
residents and the periods are exactly the ones planned. Any status other
than 200, and every socket error or timeout, is an error.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

PERCENTILES = (50, 90, 95, 99)

LUA = r"""
local reqs = {
%(requests)s
}
local threads = {}
local prepared = {}
local pos = 0

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
  statuses = {}
  for i, r in ipairs(reqs) do
    prepared[i] = wrk.format("GET", r[1], {["Cookie"] = r[2]})
  end
  pos = (tid * 7919) %% #reqs
end

function request()
  pos = pos + 1
  if pos > #reqs then pos = 1 end
  return prepared[pos]
end

function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local bad_total = 0
  local by_status = {}
  for _, t in ipairs(threads) do
    bad_total = bad_total + t:get("bad")
    for code, n in pairs(t:get("statuses")) do
      by_status[#by_status + 1] = string.format('"%%d": %%d', code, n)
    end
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %%d, "duration_us": %%d, "bytes": %%d, "connect_errors": %%d, ' ..
    '"read_errors": %%d, "write_errors": %%d, "timeouts": %%d, "non200": %%d, ' ..
    '"non200_by_status": {%%s}, "latency_us": {"mean": %%.1f, "max": %%d, ' ..
    '"p50": %%d, "p90": %%d, "p95": %%d, "p99": %%d}}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.timeout, bad_total, table.concat(by_status, ", "), latency.mean, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99)))
end
"""


def wrk_path() -> str:
    path = shutil.which("wrk")
    if not path:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    return path


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def script(requests: list[tuple[str, str]]) -> str:
    """The Lua script for wrk; `requests` is [(path, cookie header value)]."""
    if not requests:
        raise ValueError("no requests to send")
    lines = ",\n".join(f"  {{{_lua_string(p)}, {_lua_string(c)}}}" for p, c in requests)
    return LUA % {"requests": lines}


def run(url: str, requests: list[tuple[str, str]], connections: int, seconds: float,
        timeout: float = 5.0) -> dict[str, Any]:
    """One wrk run; returns requests/s, latency percentiles (ms) and error counts."""
    threads = max(1, min(2, connections))
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        lua = Path(tmp) / "mix.lua"
        lua.write_text(script(requests), encoding="utf-8")
        command = [wrk_path(), f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
                   f"--timeout={timeout:g}s", "-s", str(lua), url]
        done = subprocess.run(command, capture_output=True, text=True,
                              timeout=seconds + 60, check=False)
    match = re.search(r"^WRKJSON (\{.*\})$", done.stdout, re.M)
    if done.returncode != 0 or not match:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout[-500:]} "
                           f"{done.stderr[-500:]}")
    raw = json.loads(match.group(1))
    seconds_run = raw["duration_us"] / 1e6
    errors = (raw["connect_errors"] + raw["read_errors"] + raw["write_errors"]
              + raw["timeouts"] + raw["non200"])
    latency = {k: v / 1000.0 for k, v in raw["latency_us"].items()}
    return {
        "connections": connections,
        "seconds": round(seconds_run, 2),
        "requests": raw["requests"],
        "rps": round(raw["requests"] / seconds_run, 1) if seconds_run else 0.0,
        "latency_ms": {k: round(v, 2) for k, v in latency.items()},
        "errors": errors,
        "error_detail": {k: raw[k] for k in ("connect_errors", "read_errors",
                                             "write_errors", "timeouts", "non200")}
        | {"non200_by_status": raw["non200_by_status"]},
        "bytes": raw["bytes"],
    }
