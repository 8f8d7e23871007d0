"""Sphinx configuration for the skrnn documentation.

Build with ``make docs`` (the examples run in full) or ``make docs-fast`` (the
examples run with ``SKRNN_FAST=1``, as in CI); both treat warnings as errors.
"""

import os
import shutil
import sys
from pathlib import Path

import skrnn

DOCS = Path(__file__).parent
sys.path.insert(0, str(DOCS))

# sphinx-gallery runs an example again only when its source changes, so a full
# build after a fast one (or the reverse) would show the other mode's outputs:
# start the gallery over when the mode changes.
_MODE = "fast" if os.environ.get("SKRNN_FAST") == "1" else "full"
_STAMP = DOCS / "auto_examples" / ".skrnn_mode"
if _STAMP.parent.exists() and (not _STAMP.exists() or _STAMP.read_text() != _MODE):
    shutil.rmtree(_STAMP.parent)
_STAMP.parent.mkdir(exist_ok=True)
_STAMP.write_text(_MODE)

import benchmark_figures  # noqa: E402

project = "skrnn"
author = "The skrnn developers"
release = skrnn.__version__
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
autosummary_generate = True
templates_path = ["_templates"]
numpydoc_show_class_members = False
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
html_theme = "pydata_sphinx_theme"
html_theme_options = {"github_url": None, "navigation_with_keys": False}
# Methods inherited from scikit-learn (score, set_fit_request, ...) cite
# scikit-learn's own labels and glossary terms.
suppress_warnings = ["ref.ref", "ref.term"]

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # Run every example; demo.py is the README's demo and belongs there too.
    "filename_pattern": r"/(plot_|demo)",
    "within_subsection_order": "gallery_order.GalleryOrder",
    "download_all_examples": False,
    "abort_on_example_error": True,
    "doc_module": ("skrnn",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"skrnn": None},
}

# The benchmark results as figures, beside their tables (benchmarks.rst).
benchmark_figures.draw(DOCS / "generated" / "benchmarks")
