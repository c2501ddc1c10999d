"""Benchmarks for course_lib's kernels: scripts run as ``python -m benchmarks.NAME``, each exposing ``run()``."""
