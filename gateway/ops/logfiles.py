"""The log files: size-rotated, and written off the request threads for access lines.

`PortalFileHandler` is logging's RotatingFileHandler with three changes:

- On Windows a file that another process holds open (the service and a staff
  command both write portal.log) cannot be renamed; rotation is then retried at
  the next message instead of failing.
- It decides on rollover without formatting every record twice and stat-ing the
  file twice per line, as the standard one does.
- `write_later` hands a finished line to one writer thread. Request threads used
  to write access lines themselves, each holding the handler's lock through a
  write(): under load every worker queued on that lock, and each holder then had
  to win the interpreter lock back before letting the next one in. At 128
  connections the portal served ~20 requests/s instead of ~1 500 (bench/). Now a
  request only appends to a queue; the writer writes whatever has gathered in
  one go and flushes it, so a line reaches the file within milliseconds.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from logging.handlers import RotatingFileHandler

DRAIN_TIMEOUT = 5.0  # seconds flush() waits for the writer thread


class PortalFileHandler(RotatingFileHandler):
    LINE_ROOM = 1024  # rollover this much early; an access line is far shorter

    _stamp_second = -1
    _stamp = ""
    _writer: _LineWriter | None = None

    # ---- lines written by the writer thread ------------------------------------
    def write_later(self, message: str) -> None:
        """Queue `<asctime> <message>` (the logging format's text) for the writer."""
        now = time.time()
        second = int(now)
        if second != self._stamp_second:
            self._stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
            self._stamp_second = second
        text = f"{self._stamp},{int((now - second) * 1000):03d} {message}\n"
        writer = self._writer
        if writer is None:
            with self.lock:
                if self._writer is None:
                    self._writer = _LineWriter(self)
                writer = self._writer
        writer.put(text)

    def append_lines(self, text: str) -> None:
        """Append lines (the writer thread), rotating first if the file is full."""
        with self.lock:
            try:
                if self.shouldRollover(None):
                    self.doRollover()
                self.stream.write(text)
                self.stream.flush()
            except Exception:  # noqa: BLE001 - a log line must never take the writer down
                self.handleError(logging.makeLogRecord({"msg": text.rstrip()}))

    def flush(self) -> None:
        """Also wait until every queued line is in the file (tests, shutdown)."""
        if self._writer is not None:
            self._writer.drain()
        super().flush()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.stop()
            self._writer = None
        super().close()

    # ---- rotation ------------------------------------------------------------
    def _open(self):
        stream = super()._open()
        # Never roll over anything but a regular file (bpo-45401: /dev/null, a pipe).
        self._regular = os.path.isfile(self.baseFilename)
        return stream

    def shouldRollover(self, record: logging.LogRecord | None) -> bool:  # noqa: N802
        if self.stream is None:
            self.stream = self._open()
        if self.maxBytes <= 0 or not self._regular:
            return False
        self.stream.seek(0, 2)  # another process (a staff command) may have appended
        room = min(self.LINE_ROOM, self.maxBytes // 8)
        return self.stream.tell() + room >= self.maxBytes

    def doRollover(self) -> None:  # noqa: N802 - logging's name
        try:
            super().doRollover()
        except PermissionError:
            # Another process has the file open (Windows): append, retry later.
            if self.stream is None:
                self.stream = self._open()


class _LineWriter:
    """One daemon thread writing queued lines through a handler, in batches."""

    def __init__(self, handler: PortalFileHandler):
        self.handler = handler
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name="access-log-writer",
                                       daemon=True)
        self.thread.start()

    def put(self, text: str) -> None:
        self.queue.put(text)  # never blocks, never does I/O

    def drain(self) -> None:
        if self.thread.is_alive() and threading.current_thread() is not self.thread:
            done = threading.Event()
            self.queue.put(done)
            done.wait(DRAIN_TIMEOUT)

    def stop(self) -> None:
        if self.thread.is_alive():
            self.queue.put(None)
            self.thread.join(DRAIN_TIMEOUT)

    def _run(self) -> None:
        while True:
            items = [self.queue.get()]
            while True:
                try:
                    items.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            lines = "".join(item for item in items if isinstance(item, str))
            if lines:
                self.handler.append_lines(lines)
            for item in items:
                if isinstance(item, threading.Event):
                    item.set()
            if None in items:
                return
