"""Shared fixtures for the real servers (MariaDB/MySQL, Redis) and the MovieLens files.

Each test gets its own database or key prefix and removes it. When a server or the data is absent the
test skips with a message, except under CI=true, where it fails.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[1]
MYSQL_URL = os.environ.get("REC_TEST_MYSQL_URL", "mysql+asyncmy://root@127.0.0.1:3306/test")
REDIS_URL = os.environ.get("REC_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _movielens_dir() -> Path:
    """REC_TEST_MOVIELENS_DIR, else the workplace's shared copy beside the clone or at /work/shared."""
    if os.environ.get("REC_TEST_MOVIELENS_DIR"):
        return Path(os.environ["REC_TEST_MOVIELENS_DIR"])
    candidates = [REPO.parent / "shared" / "data" / "ml-100k", Path("/work/shared/data/ml-100k")]
    return next((c for c in candidates if (c / "u.data").is_file()), candidates[0])


MOVIELENS_DIR = _movielens_dir()


def unavailable(reason: str) -> NoReturn:
    """Skip, or fail under CI=true (CI must never skip the real-server tests silently)."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: integration tests must run)", pytrace=False)
    pytest.skip(reason)


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- MariaDB / MySQL -----------------------------------------------------------------------
@dataclass(frozen=True)
class MySqlDatabase:
    name: str
    url: str  # root (all privileges) on this database

    def url_as(self, user: str, password: str) -> str:
        return make_url(self.url).set(username=user, password=password).render_as_string(hide_password=False)


async def mysql_admin(*statements: str, database: str | None = None) -> list[tuple[object, ...]]:
    """Run statements as the test server's admin; return the last statement's rows."""
    import asyncmy

    url = make_url(MYSQL_URL)
    conn = await asyncmy.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 3306,
        user=url.username or "root",
        password=url.password or "",
        db=database,
        autocommit=True,
    )
    rows: list[tuple[object, ...]] = []
    try:
        async with conn.cursor() as cursor:
            for statement in statements:
                await cursor.execute(statement)
                rows = list(await cursor.fetchall())
    finally:
        conn.close()
    return rows


@pytest.fixture(scope="session")
def mysql_server() -> str:
    url = make_url(MYSQL_URL)
    if not _reachable(url.host or "127.0.0.1", url.port or 3306):
        unavailable(f"MariaDB/MySQL is not reachable at {url.host}:{url.port} (REC_TEST_MYSQL_URL)")
    return MYSQL_URL


@pytest.fixture
async def mysql_db(mysql_server: str) -> AsyncIterator[MySqlDatabase]:
    """A new, empty database for this test, dropped afterwards."""
    name = f"rec_test_{secrets.token_hex(6)}"
    await mysql_admin(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    url = make_url(mysql_server).set(database=name).render_as_string(hide_password=False)
    try:
        yield MySqlDatabase(name, url)
    finally:
        await mysql_admin(f"DROP DATABASE IF EXISTS `{name}`")


@pytest.fixture
async def mysql_reader(mysql_db: MySqlDatabase) -> AsyncIterator[str]:
    """The URL of a new user that may only SELECT in `mysql_db` (dropped afterwards)."""
    user, password = f"rec_ro_{secrets.token_hex(4)}", secrets.token_urlsafe(12)
    await mysql_admin(
        f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'",
        f"GRANT SELECT ON `{mysql_db.name}`.* TO '{user}'@'%'",
    )
    try:
        yield mysql_db.url_as(user, password)
    finally:
        await mysql_admin(f"DROP USER IF EXISTS '{user}'@'%'")


# --- Redis ---------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def redis_server() -> str:
    from redis.connection import parse_url

    options = parse_url(REDIS_URL)
    host, port = options.get("host", "127.0.0.1"), int(options.get("port", 6379))
    if not _reachable(host, port):
        unavailable(f"Redis is not reachable at {host}:{port} (REC_TEST_REDIS_URL)")
    return REDIS_URL


def delete_prefix(url: str, prefix: str) -> None:
    """Delete the keys under a test's prefix (a scan is fine in tests; the service never scans)."""
    from redis import Redis

    client = Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def redis_prefix(redis_server: str) -> Iterator[str]:
    """A key prefix of this test alone; its keys (and only they) are deleted afterwards."""
    prefix = f"rectest:{secrets.token_hex(6)}"
    yield prefix
    delete_prefix(redis_server, prefix)


class OwnRedis:
    """A throwaway redis-server this test may stop and start."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            unavailable("redis-server is not installed")
        command = [
            binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while (
            subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True).stdout
            != b"PONG\n"
        ):
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server on port {self.port} did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None


# --- MovieLens -----------------------------------------------------------------------------
@pytest.fixture(scope="session")
def movielens_dir() -> Path:
    if not (MOVIELENS_DIR / "u.data").is_file():
        unavailable(f"MovieLens 100k is not at {MOVIELENS_DIR} (REC_TEST_MOVIELENS_DIR)")
    return MOVIELENS_DIR
