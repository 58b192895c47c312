"""Write a `SyntheticSite` into a MariaDB/MySQL database in the default source schema, fast.

Tables are written as tab-separated files and loaded by the `mysql` client with LOAD DATA LOCAL
INFILE; the interactions' secondary keys are added after the load (one sorted index build instead
of millions of random inserts). A table `synthetic_spec` records what was loaded, written last, so
a second run with the same spec does nothing and an interrupted one starts again.

Usage: .venv/bin/python -m bench.synthetic_load [--interactions 1000000] [--database rec_bench]
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy.dialects import mysql

from adapters.source.schema import interactions, tables_sql
from bench.common import say
from bench.synthetic import Spec, SyntheticSite

# The default source schema from its one definition (adapters/source/schema.py); the interactions'
# keys are added in one statement after the load.
SCHEMA = (
    "DROP TABLE IF EXISTS synthetic_spec, titles, title_features, users, user_features, interactions, "
    "blacklist;\n" + tables_sql(mysql.dialect())
)
KEYS = "ALTER TABLE interactions " + ", ".join(
    f"ADD KEY {index.name} ({', '.join(column.name for column in index.columns)})"
    for index in sorted(interactions.indexes, key=lambda index: str(index.name))
)


@dataclass(frozen=True, slots=True)
class Target:
    database: str = "rec_bench"
    host: str = "127.0.0.1"
    port: int = 3306
    user: str = "root"

    def url(self) -> str:
        return f"mysql+asyncmy://{self.user}@{self.host}:{self.port}/{self.database}"

    def mysql(self, sql: str, *, database: bool = True, batch: bool = False) -> str:
        command = ["mysql", "--local-infile=1", f"-h{self.host}", f"-P{self.port}", f"-u{self.user}"]
        if batch:
            command += ["--batch", "--skip-column-names"]
        if database:
            command.append(self.database)
        done = subprocess.run(command, input=sql, text=True, capture_output=True, check=False)
        if done.returncode:
            raise RuntimeError(f"mysql failed: {done.stderr.strip()}")
        return done.stdout


def loaded_spec(target: Target) -> str | None:
    target.mysql(f"CREATE DATABASE IF NOT EXISTS `{target.database}`", database=False)
    found = target.mysql(
        "SELECT spec FROM synthetic_spec" if _has_spec_table(target) else "SELECT NULL", batch=True
    ).strip()
    return found if found and found != "NULL" else None


def _has_spec_table(target: Target) -> bool:
    sql = (
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = "
        f"'{target.database}' AND table_name = 'synthetic_spec'"
    )
    return target.mysql(sql, batch=True).strip() == "1"


def ensure_loaded(spec: Spec, target: Target, log=print) -> float:  # type: ignore[no-untyped-def]
    """Load `spec` unless the database already holds it; the seconds spent (0 when skipped)."""
    if loaded_spec(target) == spec.key():
        log(f"synthetic: {target.database} already holds {spec.key()}")
        return 0.0
    started = time.perf_counter()
    site = SyntheticSite(spec)
    target.mysql(SCHEMA)
    with tempfile.TemporaryDirectory(prefix="synthetic-") as tmp:
        folder = Path(tmp)
        _load(target, folder, "titles", site.titles().assign(is_active=lambda f: f.is_active.astype(int)))
        _load(target, folder, "title_features", site.title_features())
        _load(target, folder, "users", site.users())
        _load(target, folder, "user_features", site.user_features())
        _load(target, folder, "blacklist", site.blacklist())
        written = 0
        for chunk in site.interactions():
            _load(target, folder, "interactions", chunk)
            written += len(chunk)
            log(f"synthetic: interactions {written:,}/{spec.interactions:,}")
    log("synthetic: adding the interactions' keys")
    target.mysql(KEYS)
    target.mysql(
        f"CREATE TABLE synthetic_spec (spec VARCHAR(255) NOT NULL); "
        f"INSERT INTO synthetic_spec VALUES ('{spec.key()}')"
    )
    return time.perf_counter() - started


def _load(target: Target, folder: Path, table: str, frame: pd.DataFrame) -> None:
    path = folder / f"{table}.tsv"
    frame.to_csv(path, sep="\t", header=False, index=False, na_rep="\\N", date_format="%Y-%m-%d %H:%M:%S")
    columns = ", ".join(frame.columns)
    target.mysql(
        "SET unique_checks = 0; "
        f"LOAD DATA LOCAL INFILE '{path}' INTO TABLE {table} "
        f"FIELDS TERMINATED BY '\\t' LINES TERMINATED BY '\\n' ({columns})"
    )


def add_site_arguments(parser: argparse.ArgumentParser) -> None:
    """The synthetic site's size and the database it goes into."""
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--titles", type=int, default=20_000)
    parser.add_argument("--database", default="rec_bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_site_arguments(parser)
    args = parser.parse_args()
    spec = Spec(args.interactions, args.users, args.titles)
    seconds = ensure_loaded(spec, Target(args.database), say)
    print(f"synthetic: {spec.key()} in {args.database} ({seconds:.1f} s)")


if __name__ == "__main__":
    main()
