"""The benchmark driver's library: harness, figures, one module per group of SPEC §8 rows, report."""
