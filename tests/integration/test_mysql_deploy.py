"""The shipped deploy files against MariaDB: `deploy/mysql/init.sql` and `deploy/queries.example.toml`."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from adapters.source.queries import SourceQueryError, load_query_file
from adapters.source.sqlalchemy_source import SqlAlchemyInteractionSource
from adapters.sql.engines import create_source_engine
from domain.blacklist import BlacklistEntry, BlacklistOrigin
from domain.interaction import PositiveRule
from entrypoints.container import Container, alone
from entrypoints.settings import Settings, SettingsError, load_settings
from tests.conftest import REPO, MySqlDatabase, mysql_admin

pytestmark = [pytest.mark.integration, pytest.mark.mysql]

EXAMPLE = REPO / "deploy" / "queries.example.toml"
INIT_SQL = REPO / "deploy" / "mysql" / "init.sql"
ANIME_SCHEMA = (
    "CREATE TABLE anime (anime_id INT PRIMARY KEY, title VARCHAR(300) NOT NULL, "
    "status ENUM('airing','finished','removed') NOT NULL)",
    "CREATE TABLE anime_genres (anime_id INT NOT NULL, genre VARCHAR(64) NOT NULL)",
    "CREATE TABLE members (member_id BIGINT PRIMARY KEY, country CHAR(2) NULL, deleted_at DATETIME NULL)",
    "CREATE TABLE user_ratings (member_id BIGINT NOT NULL, anime_id INT NOT NULL, score TINYINT NOT NULL, "
    "rated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)",
    "CREATE TABLE watch_events (id BIGINT AUTO_INCREMENT PRIMARY KEY, member_id BIGINT NOT NULL, "
    "anime_id INT NOT NULL, event ENUM('play','complete','add_to_list') NOT NULL, "
    "happened_at DATETIME(3) NOT NULL)",
    "CREATE TABLE takedowns (anime_id INT NOT NULL, note TEXT NULL, lifted_at DATETIME NULL)",
)
ANIME_ROWS = (
    "INSERT INTO anime VALUES (1, 'Mushishi', 'finished'), (2, 'Frieren', 'airing'), (3, 'Gone', 'removed')",
    "INSERT INTO anime_genres VALUES (1, 'Mystery'), (2, 'Fantasy'), (2, 'Drama')",
    "INSERT INTO members VALUES (10, 'JP', NULL), (11, NULL, NULL), (12, 'FR', '2026-01-01')",
    "SET time_zone = '+02:00'",  # the site writes TIMESTAMPs in its own zone: read back as UTC
    "INSERT INTO user_ratings VALUES (10, 1, 9, '2026-03-01 12:00:00'), (11, 2, 4, '2026-03-02 08:00:00')",
    "INSERT INTO watch_events (member_id, anime_id, event, happened_at) VALUES "
    "(10, 2, 'complete', '2026-03-03 10:00:00.250'), (11, 1, 'play', '2026-03-04 00:00:00'), "
    "(11, 3, 'add_to_list', '2026-03-05 00:00:00')",
    "INSERT INTO takedowns VALUES (3, 'rights expired', NULL), (1, 'old dispute', '2025-01-01')",
)


async def test_the_example_queries_read_an_unlike_schema(mysql_db: MySqlDatabase) -> None:
    await mysql_admin(*ANIME_SCHEMA, *ANIME_ROWS, database=mysql_db.name)
    queries = load_query_file(EXAMPLE)
    assert set(queries) == {"titles", "title_features", "users", "user_features", "interactions", "blacklist"}
    source = SqlAlchemyInteractionSource(create_source_engine(mysql_db.url), PositiveRule(), queries=queries)
    try:
        assert await source.check_queries() is True
        catalogue = await source.load_catalogue()
        data = await source.load_training_data()
        seen = await source.seen_titles(11)
    finally:
        await source.close()

    assert catalogue.title_ids == frozenset({1, 2, 3})
    assert catalogue.inactive == frozenset({3})
    assert catalogue.source_blacklist == (BlacklistEntry(3, "rights expired", BlacklistOrigin.SOURCE),)
    assert catalogue.popular.title_ids == (1, 2)  # a 9/10 score and a completed episode: one positive each
    frame = data.interactions.sort_values("created_at", ignore_index=True)
    assert list(frame["int_type"].astype(str)) == ["rating", "rating", "view", "play", "bookmark"]
    assert frame["raw_score"].tolist()[:2] == [4.5, 2.0]
    assert frame["created_at"].iloc[0] == pd.Timestamp("2026-03-01 10:00:00")  # 12:00 at +02:00
    assert frame["created_at"].iloc[2] == pd.Timestamp("2026-03-03 10:00:00.250")
    assert data.cutoff == datetime(2026, 3, 5, tzinfo=UTC)
    assert sorted(data.users["id"].tolist()) == [10, 11]
    assert sorted(data.user_features["feature"].astype(str)) == ["country:jp"]
    assert sorted(data.title_features["feature"].astype(str)) == [
        "genre:drama",
        "genre:fantasy",
        "genre:mystery",
    ]
    assert data.titles["is_active"].dtype == np.bool_
    assert seen == frozenset({1, 2, 3})


async def test_a_query_without_a_documented_column_stops_the_service(
    mysql_db: MySqlDatabase, tmp_path: Path
) -> None:
    await mysql_admin(*ANIME_SCHEMA, database=mysql_db.name)
    broken = tmp_path / "queries.toml"
    broken.write_text(EXAMPLE.read_text().replace("title AS name, ", ""))
    container = alone(Container())
    container.settings.override(
        Settings(data_dir=tmp_path, source_url=mysql_db.url, source_queries=broken, train_cron="off")
    )
    runtime = container.runtime()

    with pytest.raises(SourceQueryError, match=r"query 'titles' returns no column 'name'"):
        await runtime.start()
    await runtime.stop()


def test_an_unknown_query_name_is_a_configuration_error(tmp_path: Path) -> None:
    typo = tmp_path / "queries.toml"
    typo.write_text("watch_history = 'SELECT 1'\n")
    with pytest.raises(SettingsError, match=r"REC_SOURCE_QUERIES.*watch_history"):
        load_settings(source_queries=typo)


async def test_init_sql_creates_the_default_schema_and_a_select_only_reader(mysql_db: MySqlDatabase) -> None:
    suffix = secrets.token_hex(4)
    script = INIT_SQL.read_text()
    script = re.sub(r"--[^\n]*", "", script)
    script = script.replace("site.*", f"`{mysql_db.name}`.*").replace(
        "rec_registry", f"rec_registry_{suffix}"
    )
    script = script.replace("'rec_reader'", f"'rec_reader_{suffix}'").replace(
        "'rec_service'", f"'rec_svc_{suffix}'"
    )
    statements = [s.strip() for s in script.split(";") if s.strip()]
    try:
        await mysql_admin(*statements, database=mysql_db.name)
        reader = mysql_db.url_as(f"rec_reader_{suffix}", "reader-change-me")
        source = SqlAlchemyInteractionSource(create_source_engine(reader), PositiveRule())
        try:
            assert await source.check_queries() is True
            assert len((await source.load_training_data()).interactions) == 0
        finally:
            await source.close()
        grants = await mysql_admin(f"SHOW GRANTS FOR 'rec_reader_{suffix}'@'%'")
        assert any("GRANT SELECT ON" in str(row[0]) for row in grants)
        assert not any("INSERT" in str(row[0]) or "ALL PRIVILEGES" in str(row[0]) for row in grants)
    finally:
        await mysql_admin(
            f"DROP USER IF EXISTS 'rec_reader_{suffix}'@'%'",
            f"DROP USER IF EXISTS 'rec_svc_{suffix}'@'%'",
            f"DROP DATABASE IF EXISTS `rec_registry_{suffix}`",
        )
