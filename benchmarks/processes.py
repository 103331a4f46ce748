"""Child processes for the benchmark: emulators, and producer | consumer pipelines with exact RSS.

Each side of a pipeline is its own ``subprocess.Popen`` joined by an OS pipe and reaped with
``os.wait4`` — the kernel's ``ru_maxrss`` (KiB on Linux) is the exact peak resident set of that
process, with no polling. Every wait is bounded: a pipeline that overruns its timeout is killed.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

START_TIMEOUT_S = 120


class BenchmarkError(RuntimeError):
    """A benchmark step failed; the message says which and where its log is."""


@dataclass
class ProcessResult:
    """Exit status, peak resident memory and CPU seconds (user + system) of one child.

    CPU time barely moves when other work shares the machine; wall time does.
    """

    returncode: int
    max_rss_mb: float
    cpu_s: float = 0.0


@dataclass
class Running:
    """A started server: its URL and process id."""

    url: str
    pid: int

    def cpu_s(self) -> float:
        """CPU seconds (user + system) the server has used so far (Linux ``/proc``)."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class PipelineResult:
    """One `producer | consumer` run: wall time and each side's result."""

    wall_s: float
    producer: ProcessResult
    consumer: ProcessResult


def _reap(pid: int) -> ProcessResult:
    _, status, usage = os.wait4(pid, 0)
    return ProcessResult(
        os.waitstatus_to_exitcode(status),
        usage.ru_maxrss / 1024.0,
        usage.ru_utime + usage.ru_stime,
    )


def run_pipeline(
    producer: Sequence[str],
    consumer: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    log: Path,
    timeout_s: float,
) -> PipelineResult:
    """Run ``producer | consumer``; both stderr streams go to ``log``, consumer stdout too.

    Raises:
        BenchmarkError: a side exited non-zero or the pipeline overran ``timeout_s``.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w", encoding="utf-8") as errors:
        started = time.perf_counter()
        first = subprocess.Popen(
            list(producer), cwd=cwd, env=dict(env), stdout=subprocess.PIPE, stderr=errors
        )
        second = subprocess.Popen(
            list(consumer), cwd=cwd, env=dict(env), stdin=first.stdout, stdout=errors, stderr=errors
        )
        assert first.stdout is not None
        first.stdout.close()  # the consumer holds the read end now
        timed_out = threading.Event()

        def _kill() -> None:
            timed_out.set()
            for proc in (first, second):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout_s, _kill)
        timer.start()
        try:
            produced = _reap(first.pid)
            consumed = _reap(second.pid)
        finally:
            timer.cancel()
        wall = time.perf_counter() - started
        first.returncode, second.returncode = produced.returncode, consumed.returncode
    if timed_out.is_set():
        raise BenchmarkError(f"pipeline overran {timeout_s:.0f}s and was killed; log: {log}")
    if produced.returncode or consumed.returncode:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise BenchmarkError(
            f"pipeline failed (producer exit {produced.returncode}, consumer exit "
            f"{consumed.returncode}); log: {log}\n{tail}"
        )
    return PipelineResult(wall, produced, consumed)


def run_command(
    command: Sequence[str], *, env: Mapping[str, str], cwd: Path, log: Path, timeout_s: float
) -> tuple[float, ProcessResult]:
    """Run one command (output to ``log``); return wall seconds and its exit, RSS and CPU.

    The RSS is the largest of the command and the children it waited for; the CPU time is theirs
    summed (both from ``wait4``).

    Raises:
        BenchmarkError: non-zero exit or timeout.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w", encoding="utf-8") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(list(command), cwd=cwd, env=dict(env), stdout=out, stderr=out)
        timed_out = threading.Event()

        def _kill() -> None:
            timed_out.set()
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout_s, _kill)
        timer.start()
        try:
            result = _reap(proc.pid)
        finally:
            timer.cancel()
        proc.returncode = result.returncode
        wall = time.perf_counter() - started
    if timed_out.is_set():
        raise BenchmarkError(f"{command[0]} overran {timeout_s:.0f}s and was killed; log: {log}")
    if result.returncode:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise BenchmarkError(f"{command[0]} exited {result.returncode}; log: {log}\n{tail}")
    return wall, result


@contextmanager
def emulator(
    name: str,
    command: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    log: Path,
    start_timeout_s: float = START_TIMEOUT_S,
) -> Iterator[Running]:
    """Start an emulator, yield its URL (from `<name> listening on URL`) and pid, then stop it."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w", encoding="utf-8") as errors:
        proc = subprocess.Popen(
            list(command), cwd=cwd, env=dict(env), text=True, stdout=subprocess.PIPE, stderr=errors
        )
        try:
            yield Running(_await_listening(name, proc, log, start_timeout_s), proc.pid)
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)


def _await_listening(name: str, proc: subprocess.Popen[str], log: Path, timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    selector = selectors.DefaultSelector()
    assert proc.stdout is not None
    selector.register(proc.stdout, selectors.EVENT_READ)
    while time.monotonic() < deadline and proc.poll() is None:
        if selector.select(timeout=0.2):
            line = proc.stdout.readline()
            if f"{name} listening on " in line:
                return line.rsplit(" ", 1)[-1].strip()
    tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
    raise BenchmarkError(f"{name} did not start within {timeout_s:.0f}s; log {log}:\n{tail}")


def http_json(url: str, body: Any = None, timeout_s: float = 30.0) -> Any:
    """GET (or POST ``body`` as JSON) a loopback URL and decode the JSON answer."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        return json.loads(response.read())
