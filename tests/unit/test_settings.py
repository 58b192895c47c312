"""Configuration from the environment: defaults, and invalid values refused naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from entrypoints.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No REC_* from the caller's shell and no .env from the working directory."""
    import os

    for name in [n for n in os.environ if n.startswith("REC_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults_follow_the_contract() -> None:
    settings = load_settings()
    assert settings.cache_ttl_seconds == 3600
    assert settings.near_cache_seconds == 5.0
    assert settings.redis_url is None
    assert settings.train_cron == "0 3 * * *"
    assert settings.auto_activate == "if_better"
    assert settings.keep_models == 10
    assert (settings.http_port, settings.grpc_port) == (8000, 50051)
    assert settings.interaction_weights == {"rating": 1.0, "view": 0.5, "bookmark": 2.0}
    assert (settings.seen_from, settings.source_tail_seconds) == ("memory", 2.0)
    assert settings.trainer_lease_seconds == 15.0


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("REC_CACHE_TTL_SECONDS", "0"),
        ("REC_NEAR_CACHE_SECONDS", "-1"),
        ("REC_NEAR_CACHE_SECONDS", "61"),
        ("REC_NEAR_CACHE_SECONDS", "soon"),
        ("REC_REDIS_URL", "http://cache:6379"),
        ("REC_AUTO_ACTIVATE", "sometimes"),
        ("REC_KEEP_MODELS", "-2"),
        ("REC_HTTP_PORT", "70000"),
        ("REC_TRAIN_CRON", "every night"),
        ("REC_INTERACTION_WEIGHTS", '{"view": 0}'),
        ("REC_TRAIN_THREADS", "0"),
        ("REC_SEEN_FROM", "disk"),
        ("REC_SOURCE_TAIL_SECONDS", "0"),
        ("REC_SOURCE_TAIL_SECONDS", "often"),
        ("REC_TRAINER_LEASE_SECONDS", "1.9"),
        ("REC_TRAINER_LEASE_SECONDS", "301"),
        ("REC_TRAINER_LEASE_SECONDS", "long"),
    ],
)
def test_an_invalid_value_is_refused_naming_its_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=variable):
        load_settings()


def test_the_near_cache_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REC_NEAR_CACHE_SECONDS", "0")
    assert load_settings().near_cache_seconds == 0


async def test_the_near_cache_setting_decides_what_sits_in_front_of_redis() -> None:
    from adapters.cache.redis_cache import RedisRecommendationCache
    from adapters.cache.redis_near_cache import RedisNearCache
    from entrypoints.wiring import cache as _cache

    url = "redis://127.0.0.1:6379/15"  # nothing connects until a first read
    near = _cache(load_settings(redis_url=url))
    plain = _cache(load_settings(redis_url=url, near_cache_seconds=0))
    try:
        assert isinstance(near.inner, RedisNearCache)
        assert isinstance(plain.inner, RedisRecommendationCache)
    finally:
        await near.close()
        await plain.close()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("REC_ARTIFACTS_URL", "ftp://host/dir"),
        ("REC_ARTIFACTS_URL", "s3://"),
        ("REC_ARTIFACTS_URL", "s3://Bad_Bucket/prefix"),
        ("REC_ARTIFACTS_URL", "file://remote-host/dir"),
        ("REC_ARTIFACTS_URL", "/no/scheme"),
        ("REC_S3_ENDPOINT_URL", "minio:9000"),
        ("REC_S3_ENDPOINT_URL", "http://key:secret@minio:9000"),
    ],
)
def test_an_invalid_artifacts_location_is_refused_naming_its_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=variable):
        load_settings()


def test_the_artifacts_url_picks_the_store(tmp_path: Path) -> None:
    from adapters.artifacts.filesystem_artifacts import FilesystemArtifactStore
    from adapters.artifacts.s3_artifacts import S3ArtifactStore
    from entrypoints.wiring import artifacts as _artifacts

    default = load_settings(data_dir=tmp_path)
    assert default.artifacts_bucket is None and default.artifacts_dir == tmp_path
    assert isinstance(_artifacts(default), FilesystemArtifactStore)
    elsewhere = load_settings(data_dir=tmp_path, artifacts_url="file:///srv/artifacts")
    assert elsewhere.artifacts_dir == Path("/srv/artifacts")

    on_s3 = load_settings(
        data_dir=tmp_path, artifacts_url="s3://rec-models/prod/v2/", s3_endpoint_url="http://minio:9000"
    )
    assert on_s3.artifacts_bucket == ("rec-models", "prod/v2")
    store = _artifacts(on_s3)  # nothing connects until a first call
    assert isinstance(store, S3ArtifactStore)
    assert store._bucket == "rec-models" and store._client.meta.endpoint_url == "http://minio:9000"
