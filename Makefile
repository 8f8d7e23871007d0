# Documentation. The examples of the gallery run during the build; warnings are
# errors. "make docs" runs them in full (several minutes), "make docs-fast" with
# SKRNN_FAST=1, as CI does. Needs: pip install -c constraints.txt -e ".[docs]"
.PHONY: docs docs-fast clean-docs

docs:
	python -m sphinx -W --keep-going -b html docs docs/_build/html

docs-fast:
	SKRNN_FAST=1 python -m sphinx -W --keep-going -b html docs docs/_build/html

clean-docs:
	rm -rf docs/_build docs/auto_examples docs/generated
