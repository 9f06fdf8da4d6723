"""What the benchmarks share: the machine line, the spread of a measure, the report.

The scripts run as ``python bench/<name>.py``, so this module is imported as
``common``.
"""

from pathlib import Path

import os
import platform
import statistics
import subprocess
import time


def machine(work: Path | None = None) -> str:
    """The machine (and the filesystem of ``work``) the numbers come from."""
    text = (
        f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
        f"{platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}"
    )
    if work is None:
        return text
    filesystem = subprocess.run(
        ["stat", "-f", "-c", "%T", str(work)], capture_output=True, text=True
    ).stdout.strip()
    return f"{text}, workdir on {filesystem or '?'}"


def sha256sum_version() -> str:
    result = subprocess.run(["sha256sum", "--version"], capture_output=True, text=True)
    return result.stdout.split("\n", 1)[0].rsplit(" ", 1)[-1]


def spread(values: list[float], unit: str, digits: int = 1) -> str:
    """The median, with the range when there are several values."""
    text = f"{statistics.median(values):.{digits}f} {unit}".rstrip()
    if len(values) > 1:
        text += f" (median of {len(values)}: {min(values):.{digits}f}"
        text += f"–{max(values):.{digits}f})"
    return text


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def write_section(path: Path, text: str) -> None:
    """Add a ``## `` section to a markdown file, replacing an older one of its title."""
    heading = text.split("\n", 1)[0]
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("# Benchmarks\n\n" + text)
        return
    old = path.read_text()
    start = old.find(f"\n{heading}\n")
    if start == -1:
        path.write_text(old.rstrip("\n") + "\n\n" + text)
        return
    end = old.find("\n## ", start + 1)
    rest = old[end:] if end != -1 else ""
    path.write_text(old[: start + 1] + text + rest)
