# The commands the README names. Instructor targets run from this folder (the course root).
PY := .venv/bin/python
PYTHON ?= python3

.PHONY: lab test env release autograde feedback grades report strip lint bench-grading bench

lab:  ## set up and start the course in JupyterLab
	bash scripts/lab.sh

test:  ## set up and run every test
	bash scripts/test.sh

env:
	bash scripts/setup-env.sh

release: env  ## regenerate release/ from source/ (every lesson)
	$(PY) -m helpers.grading release

autograde: env  ## grade everything in submitted/<student>/<lesson>/
	$(PY) -m helpers.grading autograde

feedback: env  ## write HTML feedback to feedback/<student>/<lesson>/
	$(PY) -m helpers.grading feedback

grades: env  ## export the grade sheet to grades.csv
	$(PY) -m helpers.grading export --to grades.csv

report: env  ## what the class got wrong: report/mistakes.html and report/mistakes.csv
	$(PY) -m helpers.grading report

strip: env  ## remove outputs from source and companion notebooks before committing
	$(PY) scripts/strip_outputs.py source notebooks

lint: env
	$(PY) -m ruff check .

bench-grading: env  ## grade 100 synthetic submissions with plain nbgrader and with `make autograde`
	$(PY) benchmarks/grading.py --submissions 100

# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (set on some machines for older OpenBLAS builds) slow a
# current numpy down: unset for this command only. ARGS="--runs 5" etc. go to the script.
bench: .venv-bench/.installed  ## time the course's MNIST network against PyTorch and scikit-learn
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv-bench/bin/python benchmarks/mnist_training.py $(ARGS)

# The benchmark's own venv (torch, scikit-learn), installed again when its requirements change.
.venv-bench/.installed: benchmarks/requirements.txt
	$(PYTHON) -m venv .venv-bench
	.venv-bench/bin/python -m pip install --quiet -r benchmarks/requirements.txt
	cp benchmarks/requirements.txt $@
