"""Configuration from the environment (prefix REC_, `.env` read if present): contract section 2."""

from __future__ import annotations

import json
import os
import re
from datetime import tzinfo
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import tzlocal
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_WEIGHTS = {"rating": 1.0, "view": 0.5, "bookmark": 2.0}
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def _default_threads() -> int:
    return max(1, (os.cpu_count() or 2) - 1)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REC_", env_file=".env", extra="ignore")

    source_url: str | None = None
    source_queries: Path | None = None
    redis_url: str | None = None
    registry_url: str | None = None
    data_dir: Path = Path("./data")
    cache_ttl_seconds: int = Field(default=3600, ge=1)
    near_cache_seconds: float = Field(default=5.0, ge=0, le=60)  # 0: every cached read goes to Redis
    train_cron: str = "0 3 * * *"  # also: "off" makes this process no trainer candidate
    trainer_lease_seconds: float = Field(default=15.0, ge=2, le=300)  # a silent trainer is replaced after
    timezone: str | None = None
    auto_activate: Literal["always", "if_better", "never"] = "if_better"
    keep_models: int = Field(default=10, ge=0)
    http_host: str = "0.0.0.0"  # noqa: S104 - a service listens on all interfaces by default
    http_port: int = Field(default=8000, ge=1, le=65535)
    grpc_port: int = Field(default=50051, ge=1, le=65535)
    admin_token: str | None = None
    interaction_weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    rating_min_positive: float = 4.0
    popular_window_days: int = Field(default=30, ge=1)
    train_threads: int = Field(default_factory=_default_threads, ge=1)
    hot_events_in_source: bool = True
    seen_from: Literal["memory", "source"] = "memory"
    source_tail_seconds: float = Field(default=2.0, gt=0, le=3600)
    # How often a replica reads the registry's active version and admin blacklist: the fallback of
    # the Redis broadcast, and the only way without Redis.
    registry_poll_seconds: float = Field(default=2.0, ge=0.1, le=3600)
    log_format: Literal["console", "json"] = "console"
    metrics: bool = True  # REC_METRICS=off: no /metrics, recording is a no-op
    metrics_port: int | None = Field(default=None, ge=1, le=65535)  # a port serving only /metrics
    artifacts_url: str | None = None  # file:///dir (default: the data dir) or s3://bucket/prefix
    s3_endpoint_url: str | None = None  # an S3-compatible store (MinIO...); credentials from AWS_*

    @field_validator("interaction_weights", mode="before")
    @classmethod
    def _parse_weights(cls, value: Any) -> Any:
        if isinstance(value, str):
            return json.loads(value)
        return value

    @field_validator("interaction_weights")
    @classmethod
    def _check_weights(cls, value: dict[str, float]) -> dict[str, float]:
        if not value or any(w <= 0 or w != w for w in value.values()):
            raise ValueError("needs at least one type, each with a positive weight")
        return value

    @field_validator(
        "admin_token",
        "redis_url",
        "source_url",
        "registry_url",
        "artifacts_url",
        "s3_endpoint_url",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("metrics_port", mode="before")
    @classmethod
    def _empty_port_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("source_queries", mode="before")
    @classmethod
    def _empty_path_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("source_queries")
    @classmethod
    def _check_source_queries(cls, value: Path | None) -> Path | None:
        if value is not None:
            from adapters.source.queries import load_query_file

            load_query_file(value)  # unreadable, not TOML, or an unknown query name: stop at start
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be redis://host:port/db (or rediss://, unix://)")
        return value

    @field_validator("artifacts_url")
    @classmethod
    def _check_artifacts_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme == "file" and parts.netloc in ("", "localhost") and parts.path:
            return value
        if (
            parts.scheme == "s3"
            and _BUCKET_NAME.fullmatch(parts.netloc)
            and not (parts.query or parts.fragment)
        ):
            return value
        raise ValueError("must be file:///a/directory or s3://bucket/prefix (bucket: 3-63 of a-z 0-9 . -)")

    @field_validator("s3_endpoint_url")
    @classmethod
    def _check_s3_endpoint(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.username:
                raise ValueError("must be http(s)://host:port, without credentials (those come from AWS_*)")
        return value

    @model_validator(mode="after")
    def _check_timezone(self) -> Settings:
        if self.timezone:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(self.timezone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"REC_TIMEZONE: unknown time zone {self.timezone!r}") from None
        return self

    @field_validator("train_cron")
    @classmethod
    def _check_cron(cls, value: str) -> str:
        value = value.strip()
        if value.lower() == "off":
            return "off"
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(value)
        except ValueError as exc:
            raise ValueError(f"not a crontab expression ({exc}); use e.g. '0 3 * * *' or 'off'") from None
        return value

    @property
    def zone(self) -> tzinfo:
        """REC_TIMEZONE, else the server's local zone (as cron does)."""
        if self.timezone:
            return ZoneInfo(self.timezone)
        return tzlocal.get_localzone()

    @property
    def demo_source_path(self) -> Path:
        return self.data_dir / "demo_source.db"

    @property
    def effective_source_url(self) -> str:
        return self.source_url or f"sqlite+aiosqlite:///{self.demo_source_path.resolve()}"

    @property
    def effective_registry_url(self) -> str:
        return self.registry_url or f"sqlite+aiosqlite:///{(self.data_dir / 'model_registry.db').resolve()}"

    @property
    def artifacts_bucket(self) -> tuple[str, str] | None:
        """(bucket, prefix) when REC_ARTIFACTS_URL is s3://..., else None."""
        if self.artifacts_url is None or not self.artifacts_url.startswith("s3:"):
            return None
        parts = urlsplit(self.artifacts_url)
        return parts.netloc, parts.path.strip("/")

    @property
    def artifacts_dir(self) -> Path:
        """The directory of a file:// REC_ARTIFACTS_URL, else the data dir."""
        if self.artifacts_url is None or not self.artifacts_url.startswith("file:"):
            return self.data_dir
        return Path(urlsplit(self.artifacts_url).path)

    @property
    def artifact_cache_dir(self) -> Path:
        """Where a replica keeps the versions it downloaded from S3."""
        return self.data_dir / "artifact-cache"

    @property
    def uses_demo_source(self) -> bool:
        return self.source_url is None


class SettingsError(SystemExit):
    """Stops the service at start with a message naming the variable."""


def load_settings(**overrides: Any) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = "REC_" + "_".join(str(p) for p in error["loc"]).upper() if error["loc"] else "REC_*"
            lines.append(f"{name}: {error['msg']}")
        raise SettingsError("invalid configuration:\n  " + "\n  ".join(lines)) from None
