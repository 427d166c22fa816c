"""Drive a headless chromium over the DevTools protocol, through a pipe, for the browser tests.

``--remote-debugging-pipe`` makes chromium read protocol commands from file descriptor 3 and
write its replies and events to descriptor 4, each message a JSON text ended by a NUL byte. This
client opens a page in a fresh profile, records every console message, uncaught exception, log
entry (which is where a refused request or a Content-Security-Policy violation shows) and
network request, and evaluates scripts in the page. No port is opened and no package is needed
beyond the standard library.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The flags of every launch: headless, no sandbox (CI runs as root), and nothing that talks to
#: the network on chromium's own account.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)

#: Seconds to wait for one reply or the page's load event.
TIMEOUT = 60.0


def find_chromium() -> str | None:
    """The chromium executable on the PATH (Debian names it ``chromium``), or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class PageLog:
    """What the page did while loading: console messages, exceptions, log entries, requests."""

    console: list[tuple[str, str]] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    log: list[tuple[str, str]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def errors(self) -> list[str]:
        """Every console error or warning, exception and log entry of level error or warning."""
        bad = [
            f"console.{kind}: {text}"
            for kind, text in self.console
            if kind in ("error", "warning", "assert")
        ]
        bad += [f"exception: {text}" for text in self.exceptions]
        bad += [f"log {level}: {text}" for level, text in self.log if level in ("error", "warning")]
        return bad


class Browser:
    """One chromium process and one page, spoken to over the protocol pipe."""

    def __init__(self, process: subprocess.Popen, to_browser: int, from_browser: int) -> None:
        self.process = process
        self._out = to_browser
        self._in = from_browser
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []
        self.session: str | None = None
        self.log = PageLog()

    # the wire -----------------------------------------------------------------------------

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._in], [], [], left)[0]:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self._in, 1 << 20)
            if not chunk:
                raise RuntimeError(f"chromium closed the pipe (exit {self.process.poll()})")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def _record(self, event: dict[str, Any]) -> None:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            self.log.console.append((params["type"], text))
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            self.log.exceptions.append(
                details.get("exception", {}).get("description", details.get("text", ""))
            )
        elif method == "Log.entryAdded":
            entry = params["entry"]
            self.log.log.append((entry["level"], f"{entry.get('url', '')} {entry['text']}"))
        elif method == "Network.requestWillBeSent":
            self.log.requests.append(params["request"]["url"])
        self._events.append(event)

    def send(self, method: str, session: bool = True, **params: Any) -> dict[str, Any]:
        """Send one command and return its result; events that arrive meanwhile are recorded."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self._record(reply)

    def wait_for(self, method: str) -> dict[str, Any]:
        """Wait for the event `method` (recorded already, or still to come)."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            for event in self._events:
                if event.get("method") == method and event.get("sessionId") == self.session:
                    self._events.remove(event)
                    return event
            self._record(self._read_message(deadline))

    # the page -----------------------------------------------------------------------------

    def open(self, url: str, width: int = 1280, height: int = 900) -> None:
        """Open `url` in a new page with the console, log and network watched; wait for load."""
        self.log = PageLog()
        target = self.send("Target.createTarget", session=False, url="about:blank")
        attached = self.send(
            "Target.attachToTarget", session=False, targetId=target["targetId"], flatten=True
        )
        self.session = attached["sessionId"]
        self._events.clear()
        for domain in ("Runtime", "Log", "Network", "Page"):
            self.send(f"{domain}.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        self.send("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (returned by value, as JSON)."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression!r} raised {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path, full_page: bool = True) -> Path:
        """A PNG of the page (the whole page, beyond the window, when `full_page`)."""
        result = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=full_page)
        path.write_bytes(base64.b64decode(result["data"]))
        return path

    def print_pdf(self, path: Path) -> Path:
        """The page printed to PDF, as chromium prints it."""
        result = self.send("Page.printToPDF", printBackground=True)
        path.write_bytes(base64.b64decode(result["data"]))
        return path


def _high(fd: int) -> int:
    """A copy of `fd` numbered 10 or more; `fd` is closed."""
    copy = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return copy


@contextmanager
def chromium(executable: str, profile: Path) -> Iterator[Browser]:
    """A headless chromium with a fresh profile in `profile`, closed at the end."""
    to_browser_read, to_browser = os.pipe()
    from_browser, from_browser_write = os.pipe()
    # the child's ends moved above 9, clear of the 3 and 4 they are wired to
    to_browser_read, from_browser_write = (_high(to_browser_read), _high(from_browser_write))
    # chromium reads commands from descriptor 3 and writes to 4: bash moves the pipes' ends
    # there (any descriptor number) and then becomes chromium
    wiring = (
        f'exec "$0" "$@" 3<&{to_browser_read} 4>&{from_browser_write} '
        f"{to_browser_read}<&- {from_browser_write}>&-"
    )
    process = subprocess.Popen(
        ["bash", "-c", wiring, executable, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        pass_fds=(to_browser_read, from_browser_write),
    )
    os.close(to_browser_read)
    os.close(from_browser_write)
    browser = Browser(process, to_browser, from_browser)
    try:
        yield browser
    finally:
        with suppress(RuntimeError, TimeoutError, OSError):
            browser.send("Browser.close", session=False)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        os.close(to_browser)
        os.close(from_browser)
