"""Sphinx configuration for the skrnn documentation."""

import skrnn

project = "skrnn"
author = "The skrnn developers"
release = skrnn.__version__
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
]
autosummary_generate = True
numpydoc_show_class_members = False
exclude_patterns = ["_build"]
html_theme = "pydata_sphinx_theme"
# Methods inherited from scikit-learn (score) cite scikit-learn's own labels.
suppress_warnings = ["ref.ref"]
