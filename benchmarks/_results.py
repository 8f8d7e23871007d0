"""Where the benchmark scripts write their results.

The speed and scale benchmarks share one file, ``results/speed.md``. Each script
owns one section of it, between two HTML comments that Markdown does not show,
and rewrites only that section, so that any of them can be run again alone. The
accuracy studies (``defaults.py``, ``early_stopping.py``, ``real_data.py``) keep
a file each.
"""

import re
import sys
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
SPEED = RESULTS / "speed.md"
# The sections of speed.md, in their order there, with the script that writes each.
SPEED_SECTIONS = (
    "fit_overhead",
    "time_to_quality",
    "parallel_search",
    "dask_transfer",
    "windower_memory",
    "predict_latency",
)
_HEADER = """\
# Speed and scale

Every timing here is a ratio measured side by side in one run on one machine.
Each section below is written by one script, `python benchmarks/<section>.py`,
which rewrites only its own section: {sections}.
"""
_SECTION = re.compile(r"<!-- begin (\w+) -->\n(.*?)<!-- end \1 -->\n", re.DOTALL)


def sections():
    """The sections of ``speed.md``, ``{name: Markdown text}``."""
    if not SPEED.exists():
        return {}
    return dict(_SECTION.findall(SPEED.read_text()))


def write_section(name, text):
    """Make ``text`` section ``name`` of ``speed.md``; its headings go down a level."""
    if name not in SPEED_SECTIONS:
        raise ValueError(f"{name!r} is not one of {SPEED_SECTIONS}.")
    found = sections()
    found[name] = re.sub(r"^#", "##", text.strip(), flags=re.MULTILINE) + "\n"
    names = [n for n in SPEED_SECTIONS if n in found]
    header = _HEADER.format(sections=", ".join(f"`{n}`" for n in SPEED_SECTIONS))
    body = "\n".join(f"<!-- begin {n} -->\n{found[n]}<!-- end {n} -->\n" for n in names)
    RESULTS.mkdir(parents=True, exist_ok=True)
    SPEED.write_text(header + "\n" + body)


def publish(name, text, quick=False):
    """Print a report; unless ``quick``, also write it as section ``name``."""
    print(text)
    if not quick:
        write_section(name, text)
        print(f"written to {SPEED}, section {name}", file=sys.stderr)
