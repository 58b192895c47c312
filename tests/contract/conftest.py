"""The source fixtures (one source per database) shared by the source's contract suites."""

from tests.contract.test_source_contract import database_url, make_source

__all__ = ["database_url", "make_source"]
