"""`RecommendationCache`: Redis, a near cache in front of it, an in-process cache, and coalescing.

`redis_cache` (pipelined commands over the lean RESP client in `redis_pipelined`, redis-py for
the rest), `redis_near_cache` (per-process copies dropped by published invalidations read by
`redis_subscriber`), `in_process_cache` (no Redis configured), `coalescing_cache` (concurrent
misses computed once, in front of any of them).
"""
