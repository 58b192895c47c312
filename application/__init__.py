"""Use cases; they depend on the domain and on the ports in `application.ports` only."""
