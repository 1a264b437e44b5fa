"""Keep one long-running process up: `python -m portal.supervise COMMAND [ARGS...]`.

The Procfile runs the Celery worker under it. A worker's main process can exit on its own: kombu
5.7's Redis transport ends it, in about one Redis restart in six, with "Unrecoverable error:
AttributeError ... 'hostname'" while it puts back an unacknowledged task on the lost connection.
Nothing saved is lost then (the messages stay pending for the beat sweeper), but nothing would be
answered until someone started the worker again, and honcho (`make stack`) stops the whole stack
when one of its processes exits. Here the command is started again at once, then after 1, 2, 4 ...
up to 30 s while it keeps failing within a minute of starting.

Signals: SIGTERM, SIGINT and SIGQUIT are passed on to the command (in a process group of its own,
so it gets each once) and end the supervision (the command's own exit status is returned). If the
supervisor itself is killed, the kernel kills the command too (Linux's parent-death signal), so
that nothing is left running unsupervised.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import signal
import subprocess
import sys
import time

log = logging.getLogger("portal.supervise")

RESTART_MAX_DELAY_S = 30.0
STABLE_AFTER_S = 60.0  # a run this long resets the delay: it was not a crash loop
PR_SET_PDEATHSIG = 1
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)


def _die_with_parent() -> None:  # runs in the child between fork and exec
    # Not Linux (no prctl): the command outlives a killed supervisor, as it would without one.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class Supervisor:
    def __init__(self, command: list[str]) -> None:
        self.command = command
        self.child: subprocess.Popen | None = None
        self.stopping = False

    def _forward(self, signum, _frame) -> None:
        self.stopping = True
        if self.child is not None and self.child.poll() is None:
            self.child.send_signal(signum)

    def run(self) -> int:
        for signum in FORWARDED:
            signal.signal(signum, self._forward)
        delay = 0.0
        while True:
            started = time.monotonic()
            # A process group of its own: a signal to the supervisor's group (honcho stops its
            # processes with killpg) reaches the command once, forwarded, not twice.
            self.child = subprocess.Popen(
                self.command, preexec_fn=_die_with_parent, process_group=0
            )
            code = self.child.wait()
            if self.stopping:
                return code
            if time.monotonic() - started >= STABLE_AFTER_S:
                delay = 0.0
            log.error(
                "%s exited with status %s; starting it again in %.0f s",
                self.command[0],
                code,
                delay,
            )
            until = time.monotonic() + delay
            while not self.stopping and time.monotonic() < until:
                time.sleep(0.2)
            if self.stopping:
                return code
            delay = min(RESTART_MAX_DELAY_S, max(1.0, delay * 2))


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m portal.supervise COMMAND [ARGS...]", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.INFO, format="[%(asctime)s: %(levelname)s/supervise] %(message)s"
    )
    return Supervisor(argv).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
