"""Benchmarks of course_lib against NumPy, PyTorch (CPU) and the memory-bandwidth limit.

``python -m benchmarks`` (``make bench``) runs all four rows, prints the tables and writes results.json;
docs/performance.md shows the latest run and what it means. One module per job:

- `timing`: interleaved, repeated timings (median, min, max) that every row uses;
- `optimizer_step` (row 1), `mlp_step` (row 2), `startup` with `first_calls` (row 3), `interactivity` (row 4);
- `numpy_optim`, `bandwidth`: the NumPy baselines and the bandwidth-limit kernels the rows compare against;
- `blas`, `machine`: thread counts of the BLAS libraries, and a description of the machine;
- `report`: the plain-text tables;
- `adam_step`: the original quick Adam-vs-NumPy script (``python -m benchmarks.adam_step``).
"""
