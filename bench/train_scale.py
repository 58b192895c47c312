"""Training at scale: a synthetic site in MariaDB, one production training timed step by step.

Usage: .venv/bin/python -m bench.train_scale [--interactions 1000000] [--epochs N]

1. `bench.synthetic_load` writes the site into `--database` (skipped when it already holds it).
2. The I/O ceiling: the `mysql` client's batch dump (`--batch --quick`, to /dev/null) of the very
   statement the service sends for the interactions (best of two, after a warm-up).
3. `bench.train_scale_job` trains in a process of its own with the service's defaults (REC_*), and
   reports each step's seconds, rows, peak RSS and the per-request scoring latency of the new model.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from adapters.source.queries import DEFAULT_QUERIES, mysql_bulk_sql
from bench.common import REPO, say
from bench.synthetic import Spec
from bench.synthetic_load import Target, add_site_arguments, ensure_loaded

QUALITY = ("precision_at_10", "recall_at_10", "auc")
STEPS = (
    ("read the source (5 queries into columns and frames)", ("read_source",)),
    (
        "preparation (positives, features, holdout split, fit inputs)",
        ("prepare", "prepare_split", "prepare_fit_inputs"),
    ),
    ("inside LightFM fit calls", ("lightfm_fit_partial",)),
    ("evaluation (precision/recall@10, AUC)", ("evaluate",)),
    ("artifact and snapshot: build", ("artifact_build", "snapshot_build")),
    ("artifact and snapshot: write (npz, sha256, fsync)", ("artifact_write", "snapshot_write")),
    ("activation (load, verify, build the scorer)", ("activate",)),
    ("catalogue refresh after training", ("refresh_catalogue",)),
)


def client_dump_seconds(target: Target) -> float:
    """Best of two timed dumps (after one warm-up) of the service's own bulk statement."""
    sql = mysql_bulk_sql("interactions", DEFAULT_QUERIES["interactions"])
    command = ["mysql", "--batch", "--quick", "--skip-column-names", f"-h{target.host}", f"-u{target.user}"]
    best = float("inf")
    for attempt in range(3):
        started = time.perf_counter()
        subprocess.run([*command, target.database, "-e", sql], stdout=subprocess.DEVNULL, check=True)
        if attempt:
            best = min(best, time.perf_counter() - started)
    return best


def run_job(target: Target, epochs: int | None, data_dir: Path, log_path: Path) -> dict[str, Any]:
    env = {
        **os.environ,
        "REC_SOURCE_URL": target.url(),
        "REC_DATA_DIR": str(data_dir),
        "REC_TRAIN_CRON": "off",
        "REC_LOG_FORMAT": "json",
    }
    env.pop("REC_REGISTRY_URL", None)  # the registry: SQLite in the job's data dir
    command = [sys.executable, "-m", "bench.train_scale_job", *([str(epochs)] if epochs else [])]
    with log_path.open("w") as log:
        done = subprocess.run(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=log, check=False)
    if done.returncode:
        raise RuntimeError(f"the training job failed (exit {done.returncode}); see {log_path}")
    return dict(json.loads(done.stdout))


def report(spec: Spec, job: dict[str, Any], dump_seconds: float, load_seconds: float) -> str:
    s, total, metrics = job["seconds"], job["total_seconds"], job["metrics"]
    fit = s.get("lightfm_fit_partial", 0.0)
    rows = job["rows"].get("interactions", spec.interactions)
    read_rate, dump_rate = rows / s["read_interactions"], rows / dump_seconds
    loaded = f"generated and loaded in {load_seconds:.0f} s" if load_seconds else "already loaded"
    lines = [
        f"Synthetic site: {spec.interactions:,} interactions, {spec.users:,} users, {spec.titles:,} "
        f"titles (seed {spec.seed}; {loaded}). Parameters: {job['params']}, "
        f"{job['threads']} training thread(s).",
        "",
        "| step | seconds | share of the job |",
        "|---|---:|---:|",
    ]
    accounted = 0.0
    for label, keys in STEPS:
        seconds = sum(s.get(k, 0.0) for k in keys)
        accounted += seconds
        lines.append(f"| {label} | {seconds:.1f} | {100 * seconds / total:.1f} % |")
    other = total - accounted
    lines += [
        f"| the rest: job bookkeeping, thread hand-offs, finiteness checks | {other:.1f} | "
        f"{100 * other / total:.1f} % |",
        f"| **whole job** | **{total:.1f}** | 100 % |",
        "",
        "| figure | value | target |",
        "|---|---:|---|",
        f"| time beyond the LightFM fit calls | {100 * (total - fit) / total:.1f} % of the job | <= 25 % |",
        f"| source read of the interactions (service: SSCursor into columns) | {read_rate:,.0f} rows/s | |",
        f"| `mysql --batch --quick` dump of the same statement to /dev/null | {dump_rate:,.0f} rows/s | |",
        f"| service read / mysql client | {read_rate / dump_rate:.2f} | >= 0.5 |",
        f"| peak RSS of the training process | {job['peak_rss_mib']:,.0f} MiB | 10M fits in 24 GiB |",
        f"| scoring one user over {job['scoring']['titles']:,} titles (top 300, seen excluded) p50 / p99 | "
        f"{job['scoring']['p50_ms']:.3f} / {job['scoring']['p99_ms']:.3f} ms | < 1 ms |",
        f"| fit epochs (calls of fit_partial) | {job['calls'].get('lightfm_fit_partial', 0)} | |",
        f"| metrics | {', '.join(f'{k} {metrics[k]:.3f}' for k in QUALITY)} | |",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_site_arguments(parser)
    parser.add_argument("--epochs", type=int, default=None, help="default: the service's default")
    args = parser.parse_args()
    spec = Spec(args.interactions, args.users, args.titles)
    target = Target(args.database)
    load_seconds = ensure_loaded(spec, target, say)
    say("train_scale: timing the mysql client's dump")
    dump = client_dump_seconds(target)
    with tempfile.TemporaryDirectory(prefix="train-scale-") as tmp:
        log_path = Path(tempfile.gettempdir()) / f"train_scale_{spec.interactions}.log"
        say(f"train_scale: training (log: {log_path})")
        job = run_job(target, args.epochs, Path(tmp), log_path)
    if job["status"] != "succeeded":
        raise SystemExit(f"training {job['status']}: {job['error']}")
    print(report(spec, job, dump, load_seconds))
    print("\n<!-- raw: " + json.dumps(job) + " -->")


if __name__ == "__main__":
    main()
