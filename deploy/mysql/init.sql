-- MySQL 8 / MariaDB init script (docker-compose): the contract's default source schema and a read-only user.
-- Runs once, as root, on an empty data directory, in the database named by MYSQL_DATABASE or MARIADB_DATABASE (`site`).
-- Change the reader's password together with REC_SOURCE_URL in docker-compose.yml.
-- The schema is defined in adapters/source/schema.py; tests/integration/test_init_sql_schema.py holds
-- this file to it, so change both together.

CREATE TABLE IF NOT EXISTS titles (
  id BIGINT PRIMARY KEY,
  name VARCHAR(512) NOT NULL,
  is_active BOOLEAN NOT NULL DEFAULT TRUE
) DEFAULT CHARSET = utf8mb4;

CREATE TABLE IF NOT EXISTS title_features (
  title_id BIGINT NOT NULL,
  feature VARCHAR(255) NOT NULL,
  weight FLOAT NOT NULL DEFAULT 1.0
) DEFAULT CHARSET = utf8mb4;

CREATE TABLE IF NOT EXISTS users (
  id BIGINT PRIMARY KEY
) DEFAULT CHARSET = utf8mb4;

CREATE TABLE IF NOT EXISTS user_features (
  user_id BIGINT NOT NULL,
  feature VARCHAR(255) NOT NULL,
  weight FLOAT NOT NULL DEFAULT 1.0
) DEFAULT CHARSET = utf8mb4;

CREATE TABLE IF NOT EXISTS interactions (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  user_id BIGINT NOT NULL,
  title_id BIGINT NOT NULL,
  int_type VARCHAR(32) NOT NULL,
  raw_score FLOAT NULL,
  created_at DATETIME NOT NULL,
  KEY ix_interactions_user_id (user_id),
  KEY ix_interactions_created_at (created_at)
) DEFAULT CHARSET = utf8mb4;

CREATE TABLE IF NOT EXISTS blacklist (
  title_id BIGINT PRIMARY KEY,
  reason VARCHAR(255)
) DEFAULT CHARSET = utf8mb4;

-- The service only reads its source: SELECT on this database, nothing else.
CREATE USER IF NOT EXISTS 'rec_reader'@'%' IDENTIFIED BY 'reader-change-me';
GRANT SELECT ON site.* TO 'rec_reader'@'%';

-- Registry (model versions, jobs, hot events, admin blacklist): its own database, full rights
-- there only; the service creates its tables through Alembic migrations at start.
CREATE DATABASE IF NOT EXISTS rec_registry DEFAULT CHARSET = utf8mb4;
CREATE USER IF NOT EXISTS 'rec_service'@'%' IDENTIFIED BY 'service-change-me';
GRANT ALL PRIVILEGES ON rec_registry.* TO 'rec_service'@'%';
