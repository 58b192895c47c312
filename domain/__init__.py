"""Pure domain objects of the recommendation service (standard library only)."""
