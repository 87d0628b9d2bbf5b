# Two commands do everything on a fresh machine: `make demo` and `make test`.
# Each creates (or refreshes) the local virtual environment in .venv first;
# a second run reinstalls nothing unless pyproject.toml changed.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEMO_OUT ?= outputs/demo.png
DEMO_MODEL ?= inception_v3

.PHONY: demo test test-imagenet test-gpu venv bench strip sync clean docs

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -e ".[dev,notebooks,docs]"
	touch $(STAMP)

# Without internet (and no cached ImageNet weights) the demo says so in one line and dreams
# with shapes_dreamer instead: the shipped shapes network trained for photo dreams, on its own layer conv6.
demo: $(STAMP)
	$(PY) -m dreamlib dream images/chelsea.png -o $(DEMO_OUT) --model $(DEMO_MODEL) --fallback shapes_dreamer --size 384 --seed 0

# Lint and format first (ruff, configured in pyproject.toml), then the tests. Offline by design: the lessons run
# at full settings on the shipped shapes models, even where ImageNet weights are cached (DREAMLIB_OFFLINE=1), so
# their checked outputs are stable.
test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	DREAMLIB_OFFLINE=1 $(PY) -m pytest tests notebooks --nbval-lax --nbval-current-env

# Opt-in: every lesson on the real ImageNet weights (cached or downloaded; fails without them).
test-imagenet: $(STAMP)
	DREAMLIB_WEIGHTS=imagenet $(PY) tools/run_lessons.py

# On a machine with an NVIDIA GPU: the test suite (CUDA tests included) and every lesson, on CUDA.
test-gpu: $(STAMP)
	$(PY) -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'error: no CUDA GPU here')"
	$(PY) -m pytest tests
	DREAMLIB_OFFLINE=1 $(PY) tools/run_lessons.py --compare

bench: $(STAMP)
	$(PY) benchmarks/run.py

strip: $(STAMP)
	$(PY) tools/notebooks.py strip

# Rewrite every lesson's setup cell from the one template in tools/notebooks.py.
sync: $(STAMP)
	$(PY) tools/notebooks.py sync

# The docs site into site/, offline: executes every lesson, then `mkdocs build --strict` (tools/build_docs.py).
docs: $(STAMP)
	$(PY) tools/build_docs.py

clean:
	rm -rf $(VENV) outputs .pytest_cache site build
