"""In-memory fakes of every port, for fast use-case tests (inspect their state, not calls)."""
