"""waitress's HTTP channel, without its main loop spinning while a worker sends.

A worker thread writes its response with the channel's out-buffer lock held,
sending as it goes. Meanwhile waitress's main loop saw the channel "writable"
(data in the buffer), found the socket ready, failed to take the lock, and
polled again at once: tens of thousands of empty rounds a second, holding the
interpreter lock the workers need to finish. At 128 connections the portal's
pages fell to ~150 requests/s with p99 of seconds (bench/RESULTS.md).

Here a channel whose buffer lock is held by its worker is not writable: the
main loop sleeps in poll() instead. Nothing is left behind: a worker that
cannot send all it has pulls waitress's trigger (`write_soon`), and so does
every finished task (`service`), and the loop then asks again.
"""

from __future__ import annotations

from waitress.channel import HTTPChannel


class PortalChannel(HTTPChannel):
    def writable(self) -> bool:
        if self.requests and self.total_outbufs_len and not (
                self.will_close or self.close_when_flushed):
            lock = self.outbuf_lock
            if not lock.acquire(False):
                return False  # its worker is sending right now
            lock.release()
        return super().writable()


def use_portal_channels(socket_map: dict) -> None:
    """Make every waitress server in `socket_map` accept connections as PortalChannel."""
    from waitress.server import BaseWSGIServer

    for dispatcher in list(socket_map.values()):
        if isinstance(dispatcher, BaseWSGIServer):
            dispatcher.channel_class = PortalChannel
