"""Tools that write a source database: the demo data generator and the MovieLens loader.

Not adapters (the service never writes its source); the CLI, the tests and the benchmarks use them.
"""
