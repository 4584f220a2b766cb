# Two commands: `make demo` (the main job) and `make test` (the fast suite on
# the TensorFlow, JAX and PyTorch backends). Each creates or reuses .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Pinned, tested together on Python 3.11 (see README "Install" for the traps):
# the core, tensorflow-cpu for [tensorflow], and the [data] and [plots] extras.
PINNED := "tensorflow-cpu==2.21.*" "keras==3.15.*" "tensorflow-probability==0.25.*" \
	"tensorflow-datasets==4.9.*" importlib_resources "numpy>=1.26,<2.5" \
	"matplotlib==3.11.*" "scikit-learn==1.9.*" "scipy==1.17.*"
TEST_PINNED := "jax[cpu]==0.10.1" "jaxlib==0.10.1" "torch==2.13.0" "pytest>=8" "pytest-xdist==3.*" \
	mpmath hypothesis "ruff==0.17.*"
# The mutation check (`make mutation`, docs/MUTATION.md): not part of CI.
MUTATION_PINNED := "mutmut==3.8.1"
# Which mutants: all of ops/, distributions/, layers/, models/ and evaluation/
# ([tool.mutmut] in pyproject.toml), or a fixed sample per package, e.g.
# MUTATION_SAMPLE="distributions:4 ops:12" (about 1 in 4 and 1 in 12, chosen
# by docs/mutation/sample.py). Results are kept in mutants/: a run that is
# stopped resumes where it stopped.
MUTATION_SAMPLE ?=
BACKENDS ?= tensorflow jax torch
PYTEST_ARGS ?=
# Two pytest workers per backend (CI has 2 cores; most tests are bound by one
# core's tracing and compilation). Whole files go to one worker, so each
# file's tests keep their order. PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= 2

.PHONY: demo test lint format venv clean-venv bench mutation

$(BIN)/.core-installed: pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(PINNED)
	# TFP needs tf_keras at first use; --no-deps keeps it from installing a second
	# full tensorflow wheel over tensorflow-cpu.
	$(BIN)/python -m pip install --quiet --no-deps "tf-keras==2.21.*"
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(BIN)/.test-installed: $(BIN)/.core-installed
	$(BIN)/python -m pip install --quiet $(TEST_PINNED)
	touch $@

venv: $(BIN)/.test-installed

demo: $(BIN)/.core-installed
	$(BIN)/python -m keras_hsvae demo

test: $(BIN)/.test-installed
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	@set -e; for b in $(BACKENDS); do \
		echo "=== pytest, KERAS_BACKEND=$$b ==="; \
		KERAS_BACKEND=$$b $(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) \
			--dist loadfile --durations 15 $(PYTEST_ARGS); \
	done

lint: $(BIN)/.test-installed
	$(BIN)/ruff format --check . && $(BIN)/ruff check .

format: $(BIN)/.test-installed
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

bench: $(BIN)/.test-installed
	cd benchmarks && KERAS_BACKEND=tensorflow ../$(BIN)/python accuracy.py
	cd benchmarks && KERAS_BACKEND=tensorflow ../$(BIN)/python bench_spherical_cosines.py
	cd benchmarks && KERAS_BACKEND=tensorflow ../$(BIN)/python bench_vmf_sampling.py
	cd benchmarks && KERAS_BACKEND=tensorflow ../$(BIN)/python bench_hsc_regularizer.py
	for b in tensorflow jax torch; do $(BIN)/python benchmarks/bench_eager_eval.py --backend $$b; done
	for b in tensorflow jax torch; do $(BIN)/python benchmarks/bench_peak_memory.py --backend $$b; done
	$(BIN)/python benchmarks/summarize.py > /dev/null

# One backend (PyTorch, the fastest suite), one worker; hours, see docs/MUTATION.md.
# With a sample, a first `mutmut run` that matches no mutant only generates
# them and maps tests to functions (it then stops on "nothing matches").
MUTMUT := KERAS_BACKEND=torch OMP_NUM_THREADS=1 $(BIN)/mutmut
mutation: $(BIN)/.test-installed
	$(BIN)/python -m pip install --quiet $(MUTATION_PINNED)
	@set -e; names=""; if [ -n "$(MUTATION_SAMPLE)" ]; then \
		test -d mutants/keras_hsvae || $(MUTMUT) run --max-children 1 none || true; \
		names="$$($(BIN)/python docs/mutation/sample.py $(MUTATION_SAMPLE))"; \
	fi; \
	$(MUTMUT) run --max-children 1 $$names
	$(BIN)/python docs/mutation/summarize.py mutants

clean-venv:
	rm -rf $(VENV)
