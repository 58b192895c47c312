"""One auto-pipelined Redis connection for the cache's hot path (a read per request, a write per miss).

redis-py's asyncio client spends more Python per command (pool checkout, retry wrapper, RESP3
parser, one socket write each) than the rest of a cached request together. This
connection is a bare `asyncio.Protocol`: the commands issued during one turn of the event loop are
written in one `write`, replies (RESP2) are matched to callers in order. Redis answers commands of
one connection in order, so many requests in flight share it without a pool or a lock.

Failures surface as `OSError` (connection refused, lost, or no reply within `timeout` seconds, after
which the connection is dropped) or `RespError` (an error reply); the caller decides what to bypass.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

_INCOMPLETE = object()
Reply = Any  # bytes | int | None | list[Reply] | RespError


class RespError(Exception):
    """An error reply, e.g. `NOSCRIPT No matching script`."""


def pack(args: Sequence[bytes | str | int], size: int | None = None) -> bytes:
    """One command in RESP2 (an array of bulk strings); with `size`, the head of a command of that
    many arguments, the rest to be appended with `bulk`."""
    return b"*%d\r\n" % (len(args) if size is None else size) + b"".join(bulk(arg) for arg in args)


def bulk(arg: bytes | str | int) -> bytes:
    data = arg if isinstance(arg, bytes) else str(arg).encode()
    return b"$%d\r\n%b\r\n" % (len(data), data)


def parse(buffer: bytes | bytearray, pos: int) -> tuple[Reply, int]:
    """The reply starting at `pos` and the position after it; `_INCOMPLETE` when it has not all come."""
    end = buffer.find(b"\r\n", pos)
    if end < 0:
        return _INCOMPLETE, pos
    kind, line = buffer[pos : pos + 1], bytes(buffer[pos + 1 : end])
    after = end + 2
    if kind == b"$":
        size = int(line)
        if size < 0:
            return None, after
        if len(buffer) < after + size + 2:
            return _INCOMPLETE, pos
        return bytes(buffer[after : after + size]), after + size + 2
    if kind == b"*":
        count = int(line)
        if count < 0:
            return None, after
        items: list[Reply] = []
        for _ in range(count):
            item, after = parse(buffer, after)
            if item is _INCOMPLETE:
                return _INCOMPLETE, pos
            items.append(item)
        return items, after
    if kind == b":":
        return int(line), after
    if kind == b"+":
        return line, after
    if kind == b"-":
        return RespError(line.decode(errors="replace")), after
    raise OSError(f"unexpected reply from Redis: {bytes(buffer[pos:end])[:40]!r}")


def drain(buffer: bytearray, handle: Callable[[Reply], None]) -> None:
    """Hand every complete reply in `buffer` to `handle`, in order, and remove it from the buffer;
    an incomplete one stays for the next read. A malformed stream raises OSError."""
    pos = 0
    try:
        while pos < len(buffer):
            reply, after = parse(buffer, pos)
            if reply is _INCOMPLETE:
                break
            pos = after
            handle(reply)
    except (ValueError, IndexError) as exc:
        raise OSError(f"Redis protocol error: {exc}") from None
    finally:
        del buffer[:pos]


class _Protocol(asyncio.Protocol):
    def __init__(self, owner: PipelinedRedis) -> None:
        self._owner = owner
        self._buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        try:
            drain(self._buffer, self._deliver)
        except OSError as exc:
            self._owner.fail(exc)

    def _deliver(self, reply: Reply) -> None:
        self._owner.replies += 1
        waiter = self._owner.waiters.popleft()
        if not waiter.done():
            waiter.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self._owner.fail(OSError(f"connection to Redis lost: {exc or 'closed'}"))


class PipelinedRedis:
    """A lazily connected, auto-pipelined connection (see the module docstring)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 6379,
        db: int = 0,
        *,
        path: str | None = None,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 0.05,
    ) -> None:
        self._address = (host, port, path)
        self._hello: list[list[bytes | str | int]] = []
        if password:
            self._hello.append(["AUTH", *([username] if username else []), password])
        if db:
            self._hello.append(["SELECT", db])
        self._timeout = timeout
        self._transport: asyncio.Transport | None = None
        self._connecting: asyncio.Future[None] | None = None
        self._outgoing: list[bytes] = []
        self.waiters: deque[asyncio.Future[Reply]] = deque()
        self.replies = 0
        self._watch: asyncio.TimerHandle | None = None

    async def call(self, *args: bytes | str | int) -> Reply:
        """Send one command and return its reply (an error reply is returned, not raised)."""
        return (await self.call_many([args]))[-1]

    async def call_many(self, commands: Sequence[Sequence[bytes | str | int]]) -> list[Reply]:
        """Send commands back to back; return their replies in order."""
        return await self.call_packed(b"".join(pack(command) for command in commands), len(commands))

    async def call_packed(self, payload: bytes, commands: int = 1) -> list[Reply]:
        """Send `commands` commands already packed (see `pack`); return their replies in order."""
        if self._transport is None:
            await self._connect()
        loop = asyncio.get_running_loop()
        futures = [loop.create_future() for _ in range(commands)]
        self._send(payload, futures)
        return [await future for future in futures]

    async def close(self) -> None:
        transport, self._transport = self._transport, None
        if transport is not None:
            transport.close()
        self.fail(OSError("connection to Redis closed"))

    def fail(self, exc: OSError) -> None:
        """Drop the connection and fail every caller waiting on it."""
        transport, self._transport = self._transport, None
        if transport is not None:
            transport.abort()
        self._outgoing.clear()
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_exception(exc)

    # --- plumbing -----------------------------------------------------------------------
    def _send(self, payload: bytes, futures: list[asyncio.Future[Reply]]) -> None:
        if self._transport is None:
            raise OSError("connection to Redis lost")
        if not self._outgoing:
            asyncio.get_running_loop().call_soon(self._flush)
        self._outgoing.append(payload)
        if self._watch is None:
            self._arm(self.replies)
        self.waiters.extend(futures)

    def _flush(self) -> None:
        payload, self._outgoing = b"".join(self._outgoing), []
        if payload and self._transport is not None:
            self._transport.write(payload)

    def _arm(self, replies_seen: int) -> None:
        loop = asyncio.get_running_loop()
        self._watch = loop.call_later(self._timeout, self._check, replies_seen)

    def _check(self, replies_seen: int) -> None:
        """No reply for a whole period while callers wait: the server is gone or stuck. (One timer
        at a time, re-armed while replies flow: a caller waits between one and two periods.)"""
        self._watch = None
        if not self.waiters:
            return
        if self.replies == replies_seen:
            self.fail(OSError(f"Redis did not answer within {self._timeout * 1000:.0f} ms"))
        else:
            self._arm(self.replies)

    async def _connect(self) -> None:
        if self._connecting is None:
            self._connecting = asyncio.ensure_future(self._open())
        try:
            await asyncio.shield(self._connecting)
        finally:
            if self._connecting is not None and self._connecting.done():
                self._connecting = None

    async def _open(self) -> None:
        loop = asyncio.get_running_loop()
        host, port, path = self._address
        try:
            async with asyncio.timeout(self._timeout):
                if path:
                    transport, _ = await loop.create_unix_connection(lambda: _Protocol(self), path)
                else:
                    transport, _ = await loop.create_connection(lambda: _Protocol(self), host, port)
        except TimeoutError:
            raise OSError(f"no connection to Redis within {self._timeout * 1000:.0f} ms") from None
        self._transport = transport
        if self._hello:
            for reply in await self.call_many(self._hello):
                if isinstance(reply, RespError):
                    self.fail(OSError(f"Redis refused the session setup: {reply}"))
                    raise OSError(f"Redis refused the session setup: {reply}")
