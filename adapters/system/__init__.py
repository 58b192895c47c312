"""`Clock` and `IdGenerator` from the standard library."""
