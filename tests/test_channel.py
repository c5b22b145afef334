"""The waitress channel the portal serves with (gateway/channel.py) and its log writer.

The channel must not make waitress's main loop spin while a worker sends, and it
must never leave output behind: large and slow responses arrive whole.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import threading
import time
from pathlib import Path

from flask import Flask

from gateway.internals import PortalChannel
from gateway.ops import logs
from gateway.ops.server import make_server


def bare_channel(**state) -> PortalChannel:
    channel = object.__new__(PortalChannel)  # no socket: only writable() is exercised
    channel.outbuf_lock = threading.Condition()
    channel.requests, channel.total_outbufs_len = [object()], 300
    channel.will_close = channel.close_when_flushed = False
    channel.__dict__.update(state)
    return channel


def held_elsewhere(lock: threading.Condition) -> tuple[threading.Event, threading.Thread]:
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with lock:
            taken.set()
            release.wait(5)

    thread = threading.Thread(target=hold)
    thread.start()
    taken.wait(5)
    return release, thread


def test_a_channel_whose_worker_is_sending_is_not_writable():
    channel = bare_channel()
    assert channel.writable()  # lock free: the main loop may flush
    release, thread = held_elsewhere(channel.outbuf_lock)
    try:
        assert not channel.writable()  # the worker sends; the main loop must not spin
        channel.will_close = True
        assert channel.writable()  # closing always goes ahead
    finally:
        release.set()
        thread.join()


def test_an_idle_channel_with_output_is_writable():
    channel = bare_channel(requests=[])
    release, thread = held_elsewhere(channel.outbuf_lock)
    try:
        assert channel.writable()
    finally:
        release.set()
        thread.join()
    assert not bare_channel(requests=[], total_outbufs_len=0).writable()


def serve(app: Flask):
    server = make_server(app, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    return server, thread


def test_the_portal_server_uses_the_channel_and_large_responses_arrive_whole(app):
    chunk = bytes(range(256)) * 4096  # 1 MiB
    big = Flask("big")

    @big.get("/big")
    def stream():
        # 24 MiB: more than the socket buffers and than waitress's 16 MiB
        # out-buffer watermark, so the worker must wait for the main loop.
        return big.response_class((chunk for _ in range(24)), mimetype="application/octet-stream")

    big.config.update(app.config)
    server, thread = serve(big)
    try:
        assert all(d.channel_class is PortalChannel for d in server._map.values()
                   if hasattr(d, "channel_class"))
        for _ in range(2):  # twice on one keep-alive connection
            conn = http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=15)
            conn.request("GET", "/big")
            time.sleep(1)  # a slow reader: the worker fills the buffers and must wait
            response = conn.getresponse()
            digest = hashlib.sha256()
            received = 0
            while block := response.read(65536):
                digest.update(block)
                received += len(block)
            conn.close()
            assert received == 24 * len(chunk)
            assert digest.hexdigest() == hashlib.sha256(chunk * 24).hexdigest()
    finally:
        server.close()
        thread.join(5)


def test_access_lines_from_many_threads_all_reach_the_file_in_order(tmp_path: Path):
    handler = logs._handler(tmp_path / "access.log", {"LOGGING_MAX_BYTES": 10_000_000,
                                                      "LOGGING_BACKUPS": 1})
    try:
        def write(worker: int) -> None:
            for n in range(500):
                handler.write_later(f"INFO gateway.access w{worker} n{n:03d}")

        threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        handler.flush()  # waits for the writer thread
        lines = (tmp_path / "access.log").read_text(encoding="utf-8").splitlines()
    finally:
        handler.close()
    assert len(lines) == 8 * 500
    for worker in range(8):
        mine = [line.rsplit(" ", 1)[1] for line in lines if f" w{worker} " in line]
        assert mine == [f"n{n:03d}" for n in range(500)]  # each thread's lines in order
    assert logging.Formatter("%(asctime)s").format(
        logging.makeLogRecord({}))[:4] == lines[0][:4]  # same timestamp layout as logging


def test_closing_the_access_log_writes_what_is_queued_and_stops_the_writer(tmp_path: Path):
    handler = logs._handler(tmp_path / "access.log", {"LOGGING_MAX_BYTES": 10_000_000,
                                                      "LOGGING_BACKUPS": 1})
    for n in range(100):
        handler.write_later(f"line {n}")
    writer = handler._writer
    handler.close()
    assert not writer.thread.is_alive()
    assert (tmp_path / "access.log").read_text(encoding="utf-8").count("line ") == 100
