# One command to a running JupyterLab (`make lab`), one to a green test suite (`make test`).
# Needs only Python 3.11+ and make: everything else is installed into .venv from pyproject.toml.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.course-installed
# Everything make starts finds the environment's programs first, as if it were activated (nbgrader, for one, runs
# `alembic` when it creates a gradebook).
export PATH := $(abspath $(BIN)):$(PATH)
# Extra arguments: `make test PYTEST_ARGS="-k adam"`, `make lab LAB_ARGS="--port 8899 --no-browser"`.
PYTEST_ARGS ?=
LAB_ARGS ?=

.PHONY: venv lab test bench release verify hub clean-venv
# JupyterHub's proxy comes from npm, into the git-ignored .hub/ (`make hub`, and the classroom test in `make test`)
PROXY  := .hub/node/node_modules/.bin/configurable-http-proxy
HUB_ARGS ?=

# (Re)install when pyproject.toml changes or the venv is missing.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; found " + sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@# compile the kernels now (about 30 s, once) rather than during the first lecture; never fails the install
	-$(BIN)/course warmup
	@touch $(STAMP)

venv: $(STAMP)

lab: $(STAMP)
	$(BIN)/course lab $(LAB_ARGS)

# One BLAS thread per test worker: two workers on two cores with threaded BLAS each would oversubscribe the machine
# and make small matrix products hundreds of times slower (spin-waiting threads).
test: $(STAMP) $(PROXY)
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

# Where npm is missing this does nothing and the classroom test skips.
$(PROXY):
	-command -v npm >/dev/null && npm install --prefix .hub/node --no-audit --no-fund --loglevel=error configurable-http-proxy@4

# A JupyterHub classroom on this machine (as root): `make hub HUB_ARGS="--instructor ann --students bo,cy --create-users"`
hub: $(STAMP) $(PROXY)
	$(BIN)/course hub $(HUB_ARGS)

bench: $(STAMP)
	$(BIN)/python -m benchmarks

release: $(STAMP)
	$(BIN)/course release

verify: $(STAMP)
	$(BIN)/course verify

clean-venv:
	rm -rf $(VENV)
