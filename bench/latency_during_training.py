"""p50/p99 of /titles/recommendations with and without a training running in the same process.

Usage: .venv/bin/python -m bench.latency_during_training [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import REPO, free_port, load, start_service
from tools.demo_data import generate_demo_source


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        generate_demo_source(data / "demo_source.db")
        port = free_port()
        env = {
            "REC_DATA_DIR": str(data),
            "REC_HTTP_HOST": "127.0.0.1",
            "REC_HTTP_PORT": str(port),
            "REC_GRPC_PORT": str(free_port()),
            "REC_LOG_FORMAT": "json",
        }
        subprocess.run(
            [sys.executable, "-m", "entrypoints.cli", "train", "--epochs", "5"],
            cwd=REPO,
            env={**__import__("os").environ, **env},
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        process = start_service(env, port)
        base = f"http://127.0.0.1:{port}"
        try:

            def params(rng):  # type: ignore[no-untyped-def]
                return {"user_id": rng.randint(1, 3000)}

            idle = asyncio.run(load(base, "/titles/recommendations", params, args.seconds))
            job = httpx.post(f"{base}/admin/train", params={"wait": "false", "epochs": 60}, timeout=30).json()
            time.sleep(1.0)
            busy = asyncio.run(load(base, "/titles/recommendations", params, args.seconds))
            state = httpx.get(f"{base}/admin/jobs/{job['job_id']}", timeout=30).json()
        finally:
            process.terminate()
            process.wait(60)
    print("| phase | requests | errors | req/s | p50 ms | p99 ms |")
    print("|---|---|---|---|---|---|")
    print(idle.row("no training"))
    print(busy.row("during a training"))
    print(
        f"\ntraining job still {state['status']} at the end of the loaded phase "
        f"(progress {state['progress']:.2f}); p99 ratio busy/idle = {busy.pct(99) / idle.pct(99):.2f}"
    )


if __name__ == "__main__":
    main()
