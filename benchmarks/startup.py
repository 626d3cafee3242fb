"""How long `leadflow check` and `leadflow fmt` take on a small script, as a
whole process, against starting Python and doing nothing (`python -c pass`).

A command's start is mostly imports, so a command should import only what it
needs; this measures what a user waits for. Python's bytecode cache is on,
as for an installed package (in a temporary folder, so the source tree gets
no `__pycache__`), and one run of each command before the measured ones
fills it. The commands run in turns
(baseline, check, fmt, import, baseline, ...), so a machine busy for a while
slows every one of them alike. Wall time is what a user waits for; CPU time
(user + system) varies less on a busy machine.

Usage: python benchmarks/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPT = """list engaged

when created
then add to engaged
"""  # in fmt's layout, so `fmt --check` exits 0
TARGET = 0.2  # seconds of wall time for `check` and `fmt` on a small script


def commands(script: Path) -> dict[str, list[str]]:
    python = sys.executable
    return {
        "python -c pass": [python, "-c", "pass"],
        "leadflow check SMALL": [python, "-m", "leadflow", "check", str(script)],
        "leadflow fmt --check SMALL": [python, "-m", "leadflow", "fmt", "--check", str(script)],
        "python -c 'import leadflow.cli'": [python, "-c", "import leadflow.cli"],
    }


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of the command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr.decode()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each command (default 15)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "small.flow"
        script.write_text(SCRIPT, "utf-8")
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(Path(folder) / "pycache")
        runs = commands(script)
        for command in runs.values():  # once first, so every measured run finds the caches warm
            timed(command, env)
        walls: dict[str, list[float]] = {name: [] for name in runs}
        cpus: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(args.runs):
            for name, command in runs.items():
                wall, cpu = timed(command, env)
                walls[name].append(wall)
                cpus[name].append(cpu)
    base_wall, base_cpu = statistics.median(walls["python -c pass"]), statistics.median(cpus["python -c pass"])
    print(f"a 4-line script; median of {args.runs} runs of each command, run in turns")
    print(f"Python {sys.version.split()[0]}, bytecode cached; load average {os.getloadavg()[0]:.1f} at the end\n")
    print(f"{'command':<34}{'wall s':>8}{'ratio':>8}{'CPU s':>8}{'ratio':>8}")
    for name in runs:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        print(f"{name:<34}{wall:>8.3f}{wall / base_wall:>8.1f}{cpu:>8.3f}{cpu / base_cpu:>8.1f}")
    slowest = max(statistics.median(walls[name]) for name in runs if name.startswith("leadflow"))
    verdict = "met" if slowest < TARGET else "NOT met"
    print(f"\ntarget: check and fmt under {TARGET} s of wall time: {verdict} ({slowest:.3f} s)")


if __name__ == "__main__":
    main()
