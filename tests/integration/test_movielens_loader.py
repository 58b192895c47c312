"""`load-movielens`: MovieLens files into a source in the default schema (SQLite and MariaDB)."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from entrypoints.cli import main
from tests.conftest import MySqlDatabase, mysql_admin
from tools.movielens_files import age_bucket

pytestmark = pytest.mark.integration


def write_tiny(directory: Path) -> Path:
    """Three users, four films, blank lines anywhere, a Latin-1 title; not MovieLens data."""
    directory.mkdir()
    flags = "|".join(["0"] * 19)
    drama_comedy = "|".join("1" if i in (5, 8) else "0" for i in range(19))
    (directory / "u.item").write_bytes(
        "\n".join(
            [
                f"1|Amélie (2001)|01-Jan-2001||http://x|{drama_comedy}",
                "",
                f"2|Plain (1999)|01-Jan-1999||http://x|{flags}",
                f"3|Third (1998)|01-Jan-1998||http://x|{flags}",
                f"4|Fourth (1997)|01-Jan-1997||http://x|{flags}",
                "",
            ]
        ).encode("latin-1")
    )
    (directory / "u.user").write_text(
        "\n1|24|M|technician|85711\n2|17|F|student|94043\n\n3|65|F|other|32067\n"
    )
    (directory / "u.data").write_text(
        "1\t1\t5\t881250949\n\n1\t2\t3\t881250950\n2\t4\t4\t891717742\n3\t1\t1\t878887116\n"
    )
    return directory


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(db)) as conn:
        return list(conn.execute(sql))


def test_age_buckets() -> None:
    assert [age_bucket(a) for a in (7, 18, 24, 25, 44, 56, 65, 73)] == [
        "under-18", "18-24", "18-24", "25-34", "35-44", "55-64", "65+", "65+",
    ]  # fmt: skip


def test_tiny_files_load_with_features_times_and_latin1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files, db = write_tiny(tmp_path / "ml"), tmp_path / "source.db"

    assert main(["load-movielens", "--dir", str(files), "--url", f"sqlite:///{db}"]) == 0

    summary = json.loads(capsys.readouterr().out)
    assert (summary["titles"], summary["users"], summary["interactions"]) == (4, 3, 4)
    assert rows(db, "SELECT name FROM titles WHERE id = 1") == [("Amélie (2001)",)]
    assert rows(db, "SELECT feature FROM title_features WHERE title_id = 1 ORDER BY feature") == [
        ("genre:comedy",),
        ("genre:drama",),
    ]
    assert rows(db, "SELECT feature FROM user_features WHERE user_id = 2 ORDER BY feature") == [
        ("age:under-18",),
        ("gender:f",),
        ("occupation:student",),
    ]
    assert rows(
        db, "SELECT user_id, title_id, int_type, raw_score, created_at FROM interactions LIMIT 1"
    ) == [(1, 1, "rating", 5.0, "1997-12-04 15:55:49")]


def test_a_second_load_is_refused_unless_replace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files, db = write_tiny(tmp_path / "ml"), tmp_path / "source.db"
    url = f"sqlite+aiosqlite:///{db}"
    assert main(["load-movielens", "--dir", str(files), "--url", url]) == 0

    assert main(["load-movielens", "--dir", str(files), "--url", url]) == 1
    assert "--replace" in capsys.readouterr().err
    assert rows(db, "SELECT COUNT(*) FROM interactions") == [(4,)]

    assert main(["load-movielens", "--dir", str(files), "--url", url, "--replace"]) == 0
    assert rows(db, "SELECT COUNT(*) FROM interactions") == [(4,)]
    assert rows(db, "SELECT COUNT(*) FROM user_features") == [(9,)]


def test_a_missing_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = write_tiny(tmp_path / "ml")
    (files / "u.user").unlink()
    assert main(["load-movielens", "--dir", str(files), "--url", f"sqlite:///{tmp_path / 's.db'}"]) == 1
    assert "u.user is missing" in capsys.readouterr().err


@pytest.mark.movielens
def test_movielens_100k_into_sqlite(
    movielens_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "ml.db"

    assert main(["load-movielens", "--dir", str(movielens_dir), "--url", f"sqlite:///{db}"]) == 0

    assert "interactions 100,000/100,000 rows (100%)" in capsys.readouterr().err
    assert rows(
        db, "SELECT COUNT(*), COUNT(DISTINCT user_id), MIN(raw_score), MAX(raw_score) FROM interactions"
    ) == [(100_000, 943, 1.0, 5.0)]
    assert rows(db, "SELECT COUNT(*) FROM titles") == [(1682,)]
    assert rows(db, "SELECT name FROM titles WHERE id = 543") == [("Misérables, Les (1995)",)]
    assert rows(db, "SELECT feature FROM user_features WHERE user_id = 1 ORDER BY feature") == [
        ("age:18-24",),
        ("gender:m",),
        ("occupation:technician",),
    ]
    assert rows(db, "SELECT created_at FROM interactions WHERE user_id = 196 AND title_id = 242") == [
        ("1997-12-04 15:55:49",)
    ]


@pytest.mark.movielens
@pytest.mark.mysql
async def test_movielens_100k_into_mariadb(movielens_dir: Path, mysql_db: MySqlDatabase) -> None:
    import asyncio

    code = await asyncio.to_thread(
        main, ["load-movielens", "--dir", str(movielens_dir), "--url", mysql_db.url]
    )

    assert code == 0
    counts = await mysql_admin(
        "SELECT (SELECT COUNT(*) FROM interactions), (SELECT COUNT(*) FROM titles), "
        "(SELECT COUNT(*) FROM users), (SELECT name FROM titles WHERE id = 543), "
        "(SELECT created_at FROM interactions WHERE user_id = 196 AND title_id = 242)",
        database=mysql_db.name,
    )
    assert [tuple(str(v) for v in counts[0])] == [
        ("100000", "1682", "943", "Misérables, Les (1995)", "1997-12-04 15:55:49")
    ]
