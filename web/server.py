"""uvicorn's HTTP/1.1 protocol with a time limit on reading a request's headers.

uvicorn closes an idle keep-alive connection, but a connection that has sent part of its headers
and then nothing more stays open for ever: a few hundred of them (slowloris) hold every socket a
worker has. Here a request's headers must be complete within `WASTEMATCH_HEADER_TIMEOUT_S`
seconds (10 by default) of the connection opening or the previous response ending.
"""

from __future__ import annotations

import asyncio
import os

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT_S = float(os.environ.get("WASTEMATCH_HEADER_TIMEOUT_S", "10") or 10)


class HeaderTimeoutProtocol(H11Protocol):
    _header_timer: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(HEADER_TIMEOUT_S, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()

    # uvicorn's H11Protocol narrows BaseProtocol's BaseTransport to Transport, as here
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:
            self._disarm()  # the headers are in

    def on_response_complete(self) -> None:
        self._arm()
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)
