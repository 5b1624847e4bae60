"""A real SMTP server for tests (aiosmtpd): keeps the messages it accepts, refuses them
when told to, and can be taken down and brought back on its port."""

import socket
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


class Mailbox:
    """An SMTP server's message handler: keeps what it accepts, refuses when told to."""

    def __init__(self):
        self.messages = []
        self.refuse = 0

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            self.refuse -= 1
            return "451 4.3.0 mailbox busy, try again later"
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """The local SMTP server, which a test may take down and bring back on its port."""

    def __init__(self, mailbox: Mailbox, port: int):
        self.mailbox, self.port, self.controller = mailbox, port, None

    @classmethod
    def started(cls, mailbox: Mailbox, tries: int = 5) -> "Server":
        """A server started on a free port: another process (a parallel test worker) may take
        the port between its finding and the server's start, and then the next one is tried."""
        for attempt in range(tries):
            server = cls(mailbox, free_port())
            try:
                server.start()
            except OSError:
                if attempt == tries - 1:
                    raise
            else:
                return server

    def start(self) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
