"""What the benchmarks share: the instance and its server, the machine line, the
spread of a measure, the report.

The scripts run as ``python bench/<name>.py``, so this module is imported as
``common``.
"""

from pathlib import Path

import base64
import hashlib
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time


REPOSITORY = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
FILLER = Path(__file__).resolve().parent / "portal_fill.py"
START_TIMEOUT = 300  # seconds for a portal to answer


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def environment() -> dict[str, str]:
    """This environment without PLEIADES_ settings: every path in the instance."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PLEIADES_")}


def command(program: str, instance: Path, *args, profile="development") -> list:
    """A console script run on an instance, with a deployment profile."""
    return [
        BIN / program,
        "--profiles-dir",
        REPOSITORY / "profiles",
        "--instance",
        instance,
        "--profile",
        profile,
        *args,
    ]


def run(
    arguments: list, what: str, settings: dict | None = None
) -> subprocess.CompletedProcess:
    """Run a command to its end, with these PLEIADES_ settings; stop the
    benchmark with its output if it fails."""
    result = subprocess.run(
        arguments,
        capture_output=True,
        text=True,
        env={**environment(), **(settings or {})},
    )
    if result.returncode:
        raise SystemExit(
            f"{what} failed (exit {result.returncode}):\n{result.stdout}{result.stderr}"
        )
    return result


def prepare_instance(
    path: Path, profile: str = "development", settings: dict | None = None
) -> Path:
    """A new instance with an empty site (by default its blob directory inside it)."""
    started = time.perf_counter()
    run(
        command("pleiades-run", path, "--prepare-only", "--no-demo", profile=profile),
        "pleiades-run",
        settings,
    )
    log(f"  instance {path.name} ready in {time.perf_counter() - started:.0f} s")
    return path


def fill(instance: Path, products: int) -> dict:
    """Products created and published by portal_fill.py: its answer, with the
    wall time (``wall_s``)."""
    started = time.perf_counter()
    with subprocess.Popen(
        [sys.executable, FILLER, instance, "--count", str(products)],
        stdout=subprocess.PIPE,
        text=True,
        env=environment(),
    ) as process:
        output = process.stdout.read()
    if process.returncode:
        raise SystemExit(f"portal_fill.py failed (exit {process.returncode})")
    answer = json.loads(output.strip().splitlines()[-1])
    answer["wall_s"] = time.perf_counter() - started
    return answer


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(values: list[float], share: float) -> float:
    """The value under which ``share`` of the values fall (linear interpolation)."""
    ordered = sorted(values)
    position = share * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def wait_until_serving(url: str, process, what: str, timeout=START_TIMEOUT) -> float:
    """Wait for ``url`` to answer 2xx while ``process`` runs: the seconds it took.

    :raises SystemExit: when the process exits or the time runs out.
    """
    import requests

    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited")
        try:
            if requests.get(url, timeout=10).ok:
                return time.perf_counter() - started
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{what} did not answer in {timeout} s")


class Server:
    """The portal served by ``pleiades-run`` on a free port of 127.0.0.1, and its
    process's counters."""

    def __init__(
        self,
        instance: Path,
        log_path: Path,
        profile: str = "development",
        settings: dict | None = None,
    ):
        self.instance = instance
        self.log_path = log_path
        self.profile = profile
        self.settings = settings or {}  # PLEIADES_ settings
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/Plone"

    @property
    def password(self) -> str:
        return (self.instance / "admin-password").read_text().strip()

    def start(self) -> float:
        """Start serving; the seconds until the portal answered."""
        started = time.perf_counter()
        with open(self.log_path, "ab") as output:
            self.process = subprocess.Popen(
                command(
                    "pleiades-run",
                    self.instance,
                    "--port",
                    str(self.port),
                    profile=self.profile,
                ),
                stdout=output,
                stderr=subprocess.STDOUT,
                env={**environment(), **self.settings},
            )
        try:
            wait_until_serving(
                self.url, self.process, f"the portal (see {self.log_path})"
            )
        except SystemExit:
            self.stop()
            raise
        return time.perf_counter() - started

    def stop(self) -> None:
        """Stop as Ctrl-C does; kill it if it does not stop."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def counters(self, name: str) -> dict[str, int]:
        """Numbers of ``/proc/<pid>/<name>`` (``io``; ``status``, in KiB)."""
        values = {}
        text = Path(f"/proc/{self.process.pid}/{name}").read_text()
        for line in text.splitlines():
            key, _, rest = line.partition(":")
            if rest.split() and rest.split()[0].isdigit():
                values[key] = int(rest.split()[0])
        return values

    def reset_peak(self) -> bool:
        """Reset the process's VmHWM to its RSS (``clear_refs`` 5); False if refused."""
        try:
            Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")
        except OSError:
            return False
        return True

    def authorization(self) -> str:
        token = base64.b64encode(f"admin:{self.password}".encode()).decode()
        return f"Basic {token}"


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


def measure_and_report(args, name: str, measure, report) -> int:
    """Measure in a temporary folder (in ``args.workdir`` if given), print the
    markdown section and add it to ``args.output`` if given.

    :param measure: ``measure(args, work) -> results``.
    :param report: ``report(args, results) -> markdown``.
    """
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"{name}-bench-", dir=args.workdir) as work:
        results = measure(args, Path(work))
    text = report(args, results)
    print(text)
    log(f"benchmark done in {time.perf_counter() - started:.0f} s")
    if args.output:
        write_section(args.output, text)
    return 0


def check_space(work: Path, needed: float) -> None:
    """Stop before filling a disk: ``needed`` bytes must be free in ``work``."""
    free = shutil.disk_usage(work).free
    if free < needed:
        gib = 1 << 30
        raise SystemExit(
            f"{work}: {free / gib:.1f} GiB free, {needed / gib:.1f} GiB needed: "
            "use a smaller --big-gib or --products, or another --workdir"
        )


def ensure_venv(venv: Path, constraints: Path, requirements: list[str]) -> Path:
    """A virtualenv of a tool the benchmarks run beside the portal (python3.11),
    made and installed unless its stamp, the constraints' hash, is current.

    :returns: its ``bin`` folder.
    :raises SystemExit: when pip fails.
    """
    digest = hashlib.sha256(constraints.read_bytes()).hexdigest()
    stamp = venv / f"{constraints.stem}.sha256"
    if stamp.exists() and stamp.read_text().strip() == digest:
        return venv / "bin"
    if not (venv / "bin" / "python").exists():
        log(f"creating {venv}")
        subprocess.run(["python3.11", "-m", "venv", str(venv)], check=True)
    log(f"installing {' '.join(requirements)} into {venv} (pip)")
    result = subprocess.run(
        [
            venv / "bin" / "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-c",
            constraints,
            *requirements,
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise SystemExit(f"pip failed in {venv}:\n{result.stdout}{result.stderr}")
    stamp.write_text(digest + "\n")
    return venv / "bin"
