"""`leadflow run` reads its event file as a stream: ten times the lines must not
cost ten times the memory (it parsed the whole file into a list first: 100,000
lines took 200 MB).

Measured as the peak resident size of a `python -m leadflow run` process. The
lines are repeats of one event id with 2 KB of data each: the store then holds
one event whatever the file's length (its own caches, bounded but tens of
megabytes, would otherwise grow with the database), so what grows is what
reading the file costs.
"""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
object contact { note: text }
event visited { page: text }
"""

# Runs the command as a child of its own, so the peak read is that command's alone
# (RUSAGE_CHILDREN is the largest of all the children a process has waited for).
MEASURE = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=120)
print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, done.stdout.strip(), sep="\\n")
"""


def peak_kb(tmp_path, lines: int) -> int:
    events = tmp_path / f"events-{lines}.jsonl"
    with events.open("w", encoding="utf-8") as handle:
        for i in range(lines):
            data = {"page": f"{i}:" + "x" * 2000}
            handle.write(
                json.dumps({"event": "visited", "contact": "ann@example.com", "id": "one", "data": data}) + "\n"
            )
    db = tmp_path / f"crm-{lines}.db"
    command = [
        sys.executable,
        "-c",
        MEASURE,
        sys.executable,
        "-m",
        "leadflow",
        "run",
        tmp_path / "crm.flow",
        "--events",
        events,
        "--db",
        db,
        "--no-deliver",
    ]
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=180, check=True)
    code, peak, summary = done.stdout.split("\n", 2)
    assert code == "0", done.stdout
    assert f"1 event(s) applied, {lines - 1} already seen, 0 rejected" in summary
    return int(peak)


def test_ten_times_the_lines_cost_about_the_same_memory(tmp_path):
    (tmp_path / "crm.flow").write_text(SCRIPT, "utf-8")
    small, large = peak_kb(tmp_path, 2_000), peak_kb(tmp_path, 20_000)  # 4 MB and 40 MB of lines
    assert large < 1.5 * small, (small, large)
    assert large - small < 10_000, (small, large)  # KB: a parsed list of the lines was 50 MB more
