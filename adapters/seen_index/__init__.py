"""`SeenIndex` (application/ports/seen_index.py) in numpy: every user's seen titles in this process.

`csr` holds the compact arrays and their merge; `numpy_index` the port's implementation (a delta of
recent pairs in front of the arrays, merged off the event loop when it grows).
"""
