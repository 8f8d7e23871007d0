# Documentation. The examples of the gallery run during the build; warnings are
# errors. "make docs" runs them in full (several minutes), "make docs-fast" with
# SKRNN_FAST=1. "make docs-check" builds every page without running the examples
# (CI: the test suite has run each example already, in tests/test_examples.py).
# Needs: pip install -c constraints.txt -e ".[docs]"
.PHONY: docs docs-fast docs-check clean-docs

docs:
	python -m sphinx -W --keep-going -b html docs docs/_build/html

docs-fast:
	SKRNN_FAST=1 python -m sphinx -W --keep-going -b html docs docs/_build/html

docs-check:
	SKRNN_FAST=1 python -m sphinx -W --keep-going -D plot_gallery=0 -b html docs docs/_build/html

clean-docs:
	rm -rf docs/_build docs/auto_examples docs/generated
