# Two commands do everything on a fresh machine: `make demo` and `make test`.
# Each creates (or refreshes) the local virtual environment in .venv first;
# a second run reinstalls nothing unless pyproject.toml changed.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEMO_OUT ?= outputs/demo.png
DEMO_MODEL ?= inception_v3

.PHONY: demo test venv bench strip clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -e ".[dev,notebooks]"
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m dreamlib dream images/chelsea.png -o $(DEMO_OUT) --model $(DEMO_MODEL) --size 384 --steps 10 --seed 0

test: $(STAMP)
	$(PY) -m pytest tests notebooks --nbval-lax --nbval-current-env

bench: $(STAMP)
	$(PY) benchmarks/run.py

strip: $(STAMP)
	$(PY) tools/notebooks.py strip

clean:
	rm -rf $(VENV) outputs .pytest_cache
