"""HTTP load from `wrk` (Debian's package), a process of its own: one thread, N connections, D seconds.

Each workload is a small Lua script: which request comes next, and (for recommendations) how many
answers said `"cached":true`. The script's `done` prints one JSON line that `run_wrk` parses.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

USERS = 943  # MovieLens 100k
TITLES = 1682

REQUESTS = {
    # a random known user, list cached after the warm-up
    "users": f'return wrk.format("GET", "/titles/recommendations?user_id=" .. math.random(1, {USERS}))',
    # every user in turn, the whole cache invalidated after each pass (and by the harness before the
    # first: wrk consumes one `request()` call without sending it): every list is computed
    "users_sweep": f"""local user = counter % ({USERS} + 1)
  if user == 0 then return wrk.format("POST", "/admin/cache/invalidate") end
  return wrk.format("GET", "/titles/recommendations?user_id=" .. user)""",
    "titles": f'return wrk.format("GET", "/titles/relevant?title_id=" .. math.random(1, {TITLES}))',
    "hot": f"""return wrk.format("GET", "/rec/hot/interact?user_id=" .. math.random(1, {USERS})
    .. "&title_id=" .. math.random(1, {TITLES}) .. "&int_type=view")""",
}

SCRIPT = """
counter = 0
hits = 0
misses = 0
local threads = {}
math.randomseed(%(seed)d)
function setup(thread) table.insert(threads, thread) end
function request()
  counter = counter + 1
  %(request)s
end
%(response)s
function done(summary, latency, requests)
  local h, m = 0, 0
  for _, t in ipairs(threads) do h = h + t:get("hits"); m = m + t:get("misses") end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %%d, "seconds": %%f, "errors": %%d, "p50_ms": %%f, "p99_ms": %%f, '
    .. '"hits": %%d, "misses": %%d}\\n',
    summary.requests, summary.duration / 1e6, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, h, m))
end
"""
COUNT_CACHED = """function response(status, headers, body)
  if string.find(body, '"cached":true', 1, true) then hits = hits + 1
  elseif string.find(body, '"cached":false', 1, true) then misses = misses + 1 end
end"""


@dataclass(frozen=True, slots=True)
class Load:
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    hits: int = 0
    misses: int = 0
    cpu_seconds: float = 0.0  # the server's, measured by the caller
    db_cpu_seconds: float = 0.0  # the local MariaDB server's over the same time

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def hit_share(self) -> float | None:
        answered = self.hits + self.misses
        return self.hits / answered if answered else None


def script(folder: Path, workload: str, count_cached: bool, seed: int = 1) -> Path:
    path = folder / f"{workload}{'_counted' if count_cached else ''}.lua"
    body = SCRIPT % {
        "seed": seed,
        "request": REQUESTS[workload],
        "response": COUNT_CACHED if count_cached else "",
    }
    path.write_text(body)
    return path


def run_wrk(url: str, lua: Path, seconds: float, connections: int = 32) -> Load:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    command = [wrk, "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s", "-s", str(lua), url]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    for line in done.stdout.splitlines():
        if line.startswith("WRKJSON "):
            return Load(**json.loads(line.removeprefix("WRKJSON ")))
    raise RuntimeError(f"wrk printed no summary: {done.stdout} {done.stderr}")
