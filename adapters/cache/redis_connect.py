"""Connections to the Redis server of a `REC_REDIS_URL`: redis-py's client, and the lean protocols
(`redis_pipelined`, `redis_subscriber`) pointed at the same server, TLS excepted (redis-py's own).

Pub/sub ignores the database number, so the channel every replica listens on names it: services
sharing one Redis server on different databases do not hear each other.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis, SSLConnection
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from adapters.cache.redis_pipelined import PipelinedRedis
from adapters.cache.redis_subscriber import LeanListener, Listener, RedisPyListener

SOCKET_TIMEOUT_SECONDS = 0.05
SUBSCRIBER_CONNECT_TIMEOUT_SECONDS = 1.0


def connect(url: str) -> Redis:
    """A client with short timeouts and no retries; creating it does not connect."""
    client: Redis = Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),
        retry_on_timeout=False,
    )
    return client


def database_of(client: Redis) -> int:
    return int(client.connection_pool.connection_kwargs.get("db") or 0)


def replica_channel(prefix: str, db: int) -> bytes:
    """The one channel of a service's replicas: invalidations and announcements."""
    return f"{prefix}:{db}:replicas".encode()


@dataclass(frozen=True, slots=True)
class _Plain:
    """Where a plain (non-TLS) connection to the server of a redis-py client goes."""

    host: str
    port: int
    db: int
    path: str | None
    username: str | None
    password: str | None

    @classmethod
    def of(cls, client: Redis) -> _Plain | None:
        """The server `client` talks to, as the bare protocols need it; None for TLS."""
        pool = client.connection_pool
        if issubclass(pool.connection_class, SSLConnection):
            return None
        kw = pool.connection_kwargs
        return cls(
            kw.get("host", "127.0.0.1"),
            int(kw.get("port", 6379)),
            database_of(client),
            kw.get("path"),
            kw.get("username"),
            kw.get("password"),
        )

    def pipelined(self, timeout: float) -> PipelinedRedis:
        return PipelinedRedis(
            self.host, self.port, self.db, path=self.path, username=self.username,
            password=self.password, timeout=timeout,
        )  # fmt: skip

    def listener(self, channel: bytes, timeout: float) -> LeanListener:
        return LeanListener(
            channel, self.host, self.port, path=self.path, username=self.username,
            password=self.password, timeout=timeout,
        )  # fmt: skip


def pipelined_twin(client: Redis) -> PipelinedRedis | None:
    """An auto-pipelined connection to the server `client` talks to; None for TLS."""
    server = _Plain.of(client)
    return None if server is None else server.pipelined(SOCKET_TIMEOUT_SECONDS)


def channel_listener(url: str, prefix: str = "rec") -> Listener:
    """A listener of the replicas' channel under `prefix` on the server and database of `url`: the
    lean one (`redis_subscriber`), or redis-py's PubSub for TLS."""
    client = Redis.from_url(
        url, socket_connect_timeout=SUBSCRIBER_CONNECT_TIMEOUT_SECONDS, health_check_interval=10
    )  # no read timeout: it waits for messages; creating it does not connect
    channel = replica_channel(prefix, database_of(client))
    server = _Plain.of(client)
    if server is None:
        return RedisPyListener(client, channel)
    return server.listener(channel, SUBSCRIBER_CONNECT_TIMEOUT_SECONDS)
