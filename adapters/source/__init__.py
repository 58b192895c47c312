"""The site's database, read-only: `InteractionSource`, `FeatureSource` and the `TrainingDataMerger`.

SQLAlchemy (async) for any database, MySQL/MariaDB streaming for large reads (`mysql_stream`),
the operator's replaceable queries (`queries`) and the columns they must return (`columns`), the
popular list (`popular`), and the table format a training is made of (`tables`). The default
schema as SQLAlchemy tables (`schema`) is for tools and tests that write a source.
"""
