"""ormolu's benchmark harness: the same workload for the raw driver, ormolu and peer ORMs.

Run it with ``bash bench/run.sh`` (see ``bench/README.md``). The package is not part of
the library: it is never installed with ormolu and nothing in ``src/`` imports it.
"""
