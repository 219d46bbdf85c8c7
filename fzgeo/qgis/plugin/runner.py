"""Find the fzgeo to run and run it in its own process, relaying its messages to Processing.

This module imports neither fzgeo nor QGIS at module level: QGIS's Python and the Python that
fzgeo is installed in are usually different (Debian's python3-qgis against a pyenv or venv, or
OSGeo4W's Python against a separate install), and their GDAL/PROJ libraries differ. The plugin
therefore runs ``fzgeo ...`` (or ``python -m fzgeo ...``) as a child process, with an environment
cleaned of the variables QGIS sets for its own Python and GDAL, and reads the files it writes.

It must run on the Python of every QGIS from 3.22 on (3.9 on Windows), so no newer syntax is used.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: the oldest fzgeo whose command line this plugin speaks
MIN_VERSION = (0, 1, 0)
#: the settings key (Processing ▸ Options ▸ Providers ▸ fzgeo) holding the fzgeo command
SETTING_COMMAND = "FZGEO_COMMAND"
#: variables QGIS sets for its own Python, GDAL and PROJ; a different Python must not see them
#: (a wheel's pyproj reading QGIS's older proj.db fails, PYTHONHOME breaks another Python)
ISOLATED_VARIABLES = (
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONSTARTUP",
    "PROJ_LIB",
    "PROJ_DATA",
    "GDAL_DATA",
    "GDAL_DRIVER_PATH",
    "GDAL_FILENAME_IS_UTF8",
    "QGIS_PREFIX_PATH",
)
CODE = re.compile(r"\[(FZ\d{3})(?:[,\]])")
VERSION = re.compile(r"fzgeo (\d+)\.(\d+)\.(\d+)")

# the plugin's own message codes, also listed in fzgeo's error catalogue (fzgeo/errors.py)
FZ_NOT_FOUND = "FZ861"
FZ_TOO_OLD = "FZ862"
FZ_FAILED = "FZ863"


def version_text(version: tuple[int, ...]) -> str:
    """``(0, 1, 0)`` as ``0.1.0``."""
    return ".".join(str(v) for v in version)


def install_hint() -> str:
    """What to do when fzgeo is missing or too old, in Chinese and English."""
    need = version_text(MIN_VERSION)
    return (
        f"请安装 fzgeo {need} 或更高版本（在命令行运行 python -m pip install fzgeo，"
        "或从 fzgeo 源码目录运行 python -m pip install .），然后在 QGIS 的"
        "“处理 ▸ 选项 ▸ 服务提供者 ▸ fzgeo ▸ fzgeo 命令”中填写 fzgeo 的完整路径"
        "（例如 /home/you/.venv/bin/fzgeo 或 C:\\fzgeo\\Scripts\\fzgeo.exe），"
        "或填写“Python 路径 -m fzgeo”。"
        f" / Install fzgeo {need} or later (python -m pip install fzgeo, or "
        "python -m pip install . in the fzgeo source folder), then set its full path under "
        "Processing > Options > Providers > fzgeo > fzgeo command (e.g. /home/you/.venv/bin/fzgeo "
        "or C:\\fzgeo\\Scripts\\fzgeo.exe), or 'PATH-TO-PYTHON -m fzgeo'."
    )


class FzgeoUnavailableError(RuntimeError):
    """No usable fzgeo: missing, not runnable, or too old. The message says what to install."""


@dataclass
class Found:
    """A runnable fzgeo: the command to start it and the version it reports."""

    command: list[str]
    version: tuple[int, ...]
    how: str


def split_command(text: str) -> list[str]:
    r"""The configured command as an argument list.

    A path that exists is one argument even with spaces in it (``C:\\Program Files\\...``);
    otherwise the text is split like a shell would, quotes kept together, backslashes kept on
    Windows.
    """
    text = text.strip()
    if not text:
        return []
    if Path(text).exists():
        return [text]
    parts = shlex.split(text, posix=os.name != "nt")
    return [p[1:-1] if len(p) > 1 and p[0] == p[-1] == '"' else p for p in parts]


def child_environment() -> dict[str, str]:
    """The environment for the fzgeo process: QGIS's Python/GDAL/PROJ variables removed, UTF-8."""
    env = {k: v for k, v in os.environ.items() if k not in ISOLATED_VARIABLES}
    env["PYTHONIOENCODING"] = "utf-8"
    env["PYTHONUTF8"] = "1"
    env.pop("QT_QPA_PLATFORM_PLUGIN_PATH", None)
    return env


def _startup() -> dict[str, Any]:
    """Process options: no console window on Windows; a process group of its own elsewhere."""
    if os.name == "nt":
        flags = getattr(subprocess, "CREATE_NO_WINDOW", 0) | getattr(
            subprocess, "CREATE_NEW_PROCESS_GROUP", 0
        )
        return {"creationflags": flags}
    return {"start_new_session": True}


def probe(command: list[str], timeout: float = 120.0) -> tuple[int, ...] | None:
    """The version ``command --version`` reports, or None when it does not run as fzgeo."""
    try:
        proc = subprocess.run(
            [*command, "--version"],
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=child_environment(),
            timeout=timeout,
            check=False,
            **_startup(),
        )
    except (OSError, subprocess.SubprocessError):
        return None
    match = VERSION.search(proc.stdout + proc.stderr)
    if proc.returncode != 0 or not match:
        return None
    return tuple(int(g) for g in match.groups())


def qgis_python() -> str | None:
    """The Python interpreter QGIS itself runs on (``sys.executable`` is QGIS's own binary)."""
    names = ("python.exe", "python3.exe") if os.name == "nt" else ("python3", "python")
    for folder in (Path(sys.exec_prefix), Path(sys.exec_prefix) / "bin"):
        for name in names:
            path = folder / name
            if path.is_file():
                return str(path)
    return None


def candidates(configured: str) -> list[tuple[list[str], str]]:
    """The commands to try, in order, each with a note on where it came from.

    A configured command is the only candidate. Otherwise: ``fzgeo`` on PATH, ``python3 -m
    fzgeo`` (``py -3 -m fzgeo`` on Windows), and QGIS's own Python when fzgeo is installed there.
    """
    if configured.strip():
        return [(split_command(configured), "设置 / setting")]
    found: list[tuple[list[str], str]] = []
    exe = shutil.which("fzgeo")
    if exe:
        found.append(([exe], "PATH"))
    for name in (("py", "-3"), ("python",)) if os.name == "nt" else (("python3",),):
        interpreter = shutil.which(name[0])
        if interpreter:
            found.append(([interpreter, *name[1:], "-m", "fzgeo"], "PATH"))
    own = qgis_python()
    if own:
        import importlib.util

        if importlib.util.find_spec("fzgeo") is not None:  # looks, does not import
            found.append(([own, "-m", "fzgeo"], "QGIS Python"))
    return found


def locate(configured: str) -> Found:
    """The fzgeo to run, or :class:`FzgeoUnavailableError` saying what to install."""
    tried = []
    old = None
    for command, how in candidates(configured):
        version = probe(command)
        tried.append(" ".join(command))
        if version is None:
            continue
        if version >= MIN_VERSION:
            return Found(command, version, how)
        old = (command, version)
    if old is not None:
        raise FzgeoUnavailableError(
            f"[{FZ_TOO_OLD}] fzgeo 版本过旧：{' '.join(old[0])} 是 {version_text(old[1])}，"
            f"本插件需要 {version_text(MIN_VERSION)} 或更高版本 / fzgeo is too old: "
            f"{' '.join(old[0])} is {version_text(old[1])}, the plugin needs "
            f"{version_text(MIN_VERSION)} or later. " + install_hint()
        )
    where = "、".join(tried) if tried else "PATH"
    raise FzgeoUnavailableError(
        f"[{FZ_NOT_FOUND}] 找不到可运行的 fzgeo（已尝试：{where}）/ no runnable fzgeo found "
        f"(tried: {', '.join(tried) or 'PATH'}). " + install_hint()
    )


@dataclass
class Outcome:
    """How a run ended: exit status, the lines printed, and the coded errors among them."""

    status: int
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cancelled: bool = False
    pid: int = 0


class Relay:
    """Where a run's messages go: the Processing feedback's log, progress and cancel flag."""

    def __init__(
        self,
        feedback: Any,
        progress: Callable[[str], None] | None = None,
        log_stdout: bool = True,
    ) -> None:
        self.feedback = feedback
        self.progress = progress
        self.log_stdout = log_stdout

    def stdout(self, line: str) -> None:
        """An ordinary output line: the Processing log."""
        if self.feedback is not None and self.log_stdout:
            self.feedback.pushInfo(line)
        if self.progress is not None:
            self.progress(line)

    def stderr(self, line: str) -> None:
        """A warning or error line: the Processing log, as a warning or error."""
        if self.feedback is None:
            return
        if line.startswith("warning:"):
            push = getattr(self.feedback, "pushWarning", None)  # QGIS 3.16+
            (push or self.feedback.pushInfo)(line)
        elif line.startswith("fzgeo: error") or CODE.search(line):
            self.feedback.reportError(line, False)
        else:
            self.feedback.pushConsoleInfo(line)

    def cancelled(self) -> bool:
        """Whether the user pressed Cancel."""
        return bool(self.feedback is not None and self.feedback.isCanceled())


def _reader(
    stream: Any, sink: list[str], emit: Callable[[str], None], lock: threading.Lock
) -> None:
    for raw in iter(stream.readline, ""):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        with lock:
            sink.append(line)
            emit(line)
    stream.close()


def _kill(proc: subprocess.Popen[str]) -> None:
    """End the fzgeo process and every process it started (site maps are drawn in children)."""
    if proc.poll() is not None:
        return
    try:
        if os.name == "nt":  # the tree: taskkill /T also ends the processes fzgeo started
            subprocess.run(
                ["taskkill", "/F", "/T", "/PID", str(proc.pid)],
                capture_output=True,
                check=False,
                **_startup(),
            )
            proc.kill()
        else:
            os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    proc.wait()


def run(command: list[str], args: list[str], relay: Relay, cwd: str) -> Outcome:
    """Run ``command args``; relay every line as it comes; kill the process tree on Cancel.

    Lines are relayed from reader threads under a lock, so the log keeps their order per stream.
    """
    full = [*command, *args]
    if relay.feedback is not None:
        relay.feedback.pushCommandInfo(" ".join(shlex.quote(a) for a in full))
    proc = subprocess.Popen(
        full,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
        errors="replace",
        env=child_environment(),
        cwd=cwd,
        **_startup(),
    )
    outcome = Outcome(status=0, pid=proc.pid)
    if relay.feedback is not None:
        relay.feedback.pushDebugInfo(f"fzgeo 进程 PID {proc.pid}")
    lock = threading.Lock()
    readers = [
        threading.Thread(
            target=_reader, args=(proc.stdout, outcome.stdout, relay.stdout, lock), daemon=True
        ),
        threading.Thread(
            target=_reader, args=(proc.stderr, outcome.stderr, relay.stderr, lock), daemon=True
        ),
    ]
    for reader in readers:
        reader.start()
    while proc.poll() is None:
        if relay.cancelled():
            _kill(proc)
            outcome.cancelled = True
            break
        time.sleep(0.1)
    for reader in readers:
        reader.join(timeout=10)
    outcome.status = proc.wait()
    outcome.errors = [ln for ln in outcome.stderr if ln.startswith("fzgeo: error")]
    return outcome
