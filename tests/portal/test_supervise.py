"""The worker's supervisor (`python -m portal.supervise`, as the Procfile runs the worker): a
command that exits on its own is started again, a stop signal reaches it once and ends the
supervision, and a killed supervisor leaves nothing running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="parent-death signal: Linux")

# A stand-in for the worker: counts its starts, exits with 3 on its first start (as the worker's
# main process does when kombu ends it), writes its pid and how many stop signals it got.
CHILD = """
import os, signal, sys, time
from pathlib import Path
d = Path(sys.argv[1])
starts = int((d / "starts").read_text()) + 1 if (d / "starts").exists() else 1
(d / "starts").write_text(str(starts))
(d / "pid").write_text(str(os.getpid()))
if starts == 1:
    sys.exit(3)
def stop(signum, frame):
    with (d / "terms").open("a") as f:
        f.write("TERM\\n")
    time.sleep(0.5)  # a warm shutdown takes a moment; a second signal would be seen meanwhile
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
while True:
    time.sleep(0.1)
"""


def wait_for(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (dead, not yet reaped) counts as gone.
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2] != "Z"


@pytest.fixture
def supervised(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    proc = subprocess.Popen(
        [sys.executable, "-m", "portal.supervise", sys.executable, str(script), str(tmp_path)],
        cwd=BASE_DIR,
        start_new_session=True,  # as honcho starts it: a group of its own to signal
    )
    yield proc, tmp_path
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=10)


def started_twice(tmp_path) -> bool:
    starts = tmp_path / "starts"
    return starts.exists() and starts.read_text() == "2" and (tmp_path / "pid").exists()


def test_a_command_that_exits_on_its_own_is_started_again(supervised):
    proc, tmp_path = supervised
    assert wait_for(lambda: started_twice(tmp_path)), "not started again after exiting"
    assert proc.poll() is None, "the supervisor should keep running"


def test_a_stop_signal_to_the_group_reaches_the_command_once_and_ends_it(supervised):
    proc, tmp_path = supervised
    assert wait_for(lambda: started_twice(tmp_path))
    time.sleep(0.5)  # the child has set its handler
    child = int((tmp_path / "pid").read_text())
    os.killpg(proc.pid, signal.SIGTERM)  # what honcho does to stop a process
    assert proc.wait(timeout=20) == 0
    assert (tmp_path / "terms").read_text() == "TERM\n"
    assert (tmp_path / "starts").read_text() == "2", "a stopped command is not started again"
    assert wait_for(lambda: not alive(child), timeout=5)


def test_a_killed_supervisor_takes_its_command_with_it(supervised):
    proc, tmp_path = supervised
    assert wait_for(lambda: started_twice(tmp_path))
    child = int((tmp_path / "pid").read_text())
    proc.kill()
    proc.wait(timeout=10)
    assert wait_for(lambda: not alive(child), timeout=10), "the command outlived its supervisor"
