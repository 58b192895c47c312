"""Alembic migrations of the registry database (model versions, jobs, hot events, admin blacklist).

Applied at start by `SqlAlchemyModelRegistry.create_schema()`; `adapters.registry.migrations` runs them.
"""
