"""Processes tests and benchmarks start: free ports, the app under flask run or gunicorn, rq workers, a redis-server of their own."""
from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import redis

BIN = Path(sys.executable).parent
PROJECT_ROOT = Path(__file__).resolve().parents[2]
WORKER_ARGS = ("-w", "worker.app_worker.AppWorker")  # as the Procfile runs it
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- web servers ----------------------------------------------------------------------------


def start_process(command: list, env: dict, cwd=None, capture: bool = True) -> subprocess.Popen:
    """Start a server; with `capture`, its output goes to a file (`output_of`), never to a pipe nobody
    reads: a server whose pipe is full stops answering."""
    if capture:
        output = tempfile.TemporaryFile("w+")
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=output, stderr=subprocess.STDOUT, text=True)
        process.output = output
        return process
    return subprocess.Popen(command, env=env, cwd=cwd)


def output_of(process: subprocess.Popen) -> str:
    """What a server started with `capture` has written so far."""
    output = getattr(process, "output", None)
    if output is None:
        return ""
    output.seek(0)
    return output.read()


def start_flask(port: int, env: dict) -> subprocess.Popen:
    """`flask run`, as `make run` serves the app."""
    return start_process([BIN / "flask", "run", "--host", "127.0.0.1", "--port", str(port)], env)


def start_gunicorn(app: str, port: int, env: dict, *options: str, cwd=None, capture: bool = True) -> subprocess.Popen:
    """gunicorn serving `app` (e.g. "saas.app:create_app()") on 127.0.0.1:port."""
    return start_process([BIN / "gunicorn", app, "--bind", f"127.0.0.1:{port}", *options], env, cwd, capture)


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 20) -> None:
    """Until GET url/healthz answers 2xx; fails at once if the server exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}: {output_of(process)}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def stop_processes(*processes: subprocess.Popen) -> None:
    """Terminate, then kill whatever has not ended within 10 s."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


# --- rq workers -----------------------------------------------------------------------------


def worker_command(redis_url: str, *options: str) -> list:
    """`rq worker` on the default queue, with the Procfile's worker class."""
    return [BIN / "rq", "worker", *WORKER_ARGS, *options, "--url", redis_url, "default"]


def procfile_command(process: str, **values: str) -> list[str]:
    """The Procfile's command for `process`, its $NAME and ${NAME:-default} replaced from `values`, the
    program taken from this virtualenv."""
    [line] = [line for line in (PROJECT_ROOT / "Procfile").read_text().splitlines() if line.startswith(f"{process}:")]
    command = re.sub(r"\$\{(\w+):-[^}]*\}|\$(\w+)", lambda found: values[found.group(1) or found.group(2)],
                     line.split(":", 1)[1].strip())
    program, *arguments = shlex.split(command)
    return [str(BIN / program), *arguments]


def start_worker(env: dict, *extra: str) -> subprocess.Popen:
    """A real `rq worker` process, running until it is stopped or killed."""
    return subprocess.Popen(worker_command(env["REDIS_URL"], *extra), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kill_worker(worker: subprocess.Popen) -> None:
    """SIGKILL a worker and its work horse (RQ puts the horse in a session of its own)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == worker.pid:
            children.append(int(stat.parent.name))
    for pid in [worker.pid, *children]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    worker.wait(timeout=10)


def run_burst_worker(env: dict) -> subprocess.CompletedProcess:
    """`rq worker --burst`: runs the queued jobs, then exits."""
    return subprocess.run(worker_command(env["REDIS_URL"], "--burst"), env=env, capture_output=True, text=True,
                          timeout=120)


# --- a redis-server of one's own ------------------------------------------------------------


class OwnRedis:
    """redis-server on a free port, for fault tests that stop and restart it, and for benchmarks
    whose queues must not fill anyone else's. Also a context manager: started, then killed."""

    def __init__(self, tmp_path):
        self.port = free_port()
        self.dir = tmp_path
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis(port=self.port, socket_connect_timeout=0.2).ping():
                    return self
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


def run_flask(env: dict, *args: str) -> subprocess.CompletedProcess:
    """A `flask` command, as an operator runs it against the app's environment."""
    result = subprocess.run([BIN / "flask", *args], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result
