"""SQL plumbing shared by `adapters.source` and `adapters.registry`; implements no port itself.

Engines with each dialect's connection settings (`engines`), driver-level reads that skip
SQLAlchemy's per-statement cost on hot reads (`driver_reads`), and one statement for many
concurrent single-key lookups (`batched_lookup`).
"""
