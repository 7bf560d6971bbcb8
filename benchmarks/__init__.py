"""The benchmark harness of ``make bench``: see benchmarks/README.md."""
