"""The HTTP/1.1 protocol `serve` runs: uvicorn's httptools parser, h11 for what it refuses.

httptools (llhttp, the C parser) serves a request in about a third of the CPU time h11 (pure
Python) takes, but it knows a fixed list of methods: `BREW /api/v2/audit` or a lower-case
`get` is a parse error, which uvicorn answers `400 Invalid HTTP request received.`. Coder (Go's
net/http) takes any token as a method and its router answers those 405 (docs/real-coder.md),
and so does the mock under h11. `FaithfulHttpToolsProtocol` keeps httptools for every request
it parses and, when it refuses a method at the start of a request, hands the connection with
the bytes received so far to uvicorn's h11 protocol, which answers as before.

Without httptools installed (it is a dependency on CPython only), `http_protocol()` is "h11".
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn


def http_protocol() -> type[asyncio.Protocol] | str:
    """What to give `uvicorn.Config(http=...)`: the faithful httptools protocol, else "h11"."""
    try:
        return _faithful_protocol_class()
    except ImportError:
        return "h11"


def _faithful_protocol_class() -> type[asyncio.Protocol]:
    import httptools
    from uvicorn.protocols.http.h11_impl import H11Protocol
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class FaithfulHttpToolsProtocol(HttpToolsProtocol):
        """httptools, handing a connection to h11 when a request's method is one it refuses.

        The hand-over needs every byte of the refused request: the bytes received since the
        parser was last between two requests at the start of a chunk. When a chunk also
        finished an earlier request (pipelining), where the refused one starts is unknown, and
        uvicorn's 400 stands.
        """

        def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
            super().__init__(config, *args, **kwargs)
            self._in_message = False
            self._completed = 0
            # The chunks of the request being parsed, kept (not copied) until its headers are
            # complete, i.e. its method was accepted: only they can go to h11.
            self._head: list[bytes] | None = None
            self._head_completed = 0

        def on_message_begin(self) -> None:
            self._in_message = True
            super().on_message_begin()

        def on_message_complete(self) -> None:
            self._in_message = False
            self._completed += 1
            super().on_message_complete()

        def data_received(self, data: bytes) -> None:
            if not self._in_message:
                self._head = [data]
                self._head_completed = self._completed
            elif self._head is not None:
                self._head.append(data)
            cycle = self.cycle
            try:
                self._unset_keepalive_if_required()
                self.parser.feed_data(data)
            except httptools.HttpParserInvalidMethodError:
                if self._can_hand_over(cycle):
                    assert self._head is not None
                    self._hand_over_to_h11(b"".join(self._head))
                    return
                self._refuse()
            except httptools.HttpParserError:
                self._refuse()
            except httptools.HttpParserUpgrade:
                if self._should_upgrade():
                    self.handle_websocket_upgrade()
                else:
                    self._unsupported_upgrade_warning()
            if self.cycle is not cycle:  # a request's headers were parsed: its method is known
                self._head = None

        def _can_hand_over(self, cycle: Any) -> bool:
            # All of the refused request's bytes are known (no request completed or began its
            # cycle since they started), and no answer is still being sent.
            return (
                self._head is not None
                and self._completed == self._head_completed
                and self.cycle is cycle
                and (cycle is None or cycle.response_complete)
                and not self.pipeline
            )

        def _refuse(self) -> None:
            # uvicorn's own answer to what httptools cannot parse.
            self.logger.warning("Invalid HTTP request received.")
            self.send_400_response("Invalid HTTP request received.")

        def _hand_over_to_h11(self, received: bytes) -> None:
            self.connections.discard(self)
            protocol = H11Protocol(
                config=self.config, server_state=self.server_state, app_state=self.app_state
            )
            protocol.connection_made(self.transport)
            self.transport.set_protocol(protocol)
            protocol.data_received(received)

    return FaithfulHttpToolsProtocol
