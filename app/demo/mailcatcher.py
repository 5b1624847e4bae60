"""A mail catcher for the demo (`flask demo mailcatcher`, started by `make run`): an SMTP
server on this machine that accepts every message and keeps it as a .eml file, so the bills
the scheduler emails are delivered somewhere one can read them (docs/operations.md).

It relays nothing and asks for no password: it listens on 127.0.0.1 only.
"""

import itertools
import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"
DEFAULT_PORT = 8025
# bills with their PDF attached, with room to spare
DATA_SIZE_LIMIT = 64 * 1024 * 1024


class Mailbox:
    """aiosmtpd's handler: writes each message as it came (headers and body, the PDF
    attached) to `folder`, and says in one line whom it was for and what about."""

    def __init__(self, folder: Path, announce: Callable[[str], None]):
        self.folder = folder
        self.announce = announce
        self.counter = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        path = self.folder / f"{stamp}-{next(self.counter):05d}-{uuid.uuid4().hex[:8]}.eml"
        # written whole under another name first: a reader never sees half a message
        partial = path.with_suffix(".part")
        partial.write_bytes(content)
        os.replace(partial, path)
        headers = BytesHeaderParser(policy=policy.default).parsebytes(content)
        self.announce(
            f"mail to {', '.join(envelope.rcpt_tos)}: {headers.get('Subject', '')} ({path.name})"
        )
        return "250 OK"


def start(folder: Path, port: int = DEFAULT_PORT, announce=print) -> Controller:
    """Listen on HOST:port in a thread of its own and keep the messages in `folder` (made
    if missing); `stop()` the returned controller to end it."""
    folder.mkdir(parents=True, exist_ok=True)
    controller = Controller(
        Mailbox(folder, announce), hostname=HOST, port=port, data_size_limit=DATA_SIZE_LIMIT
    )
    controller.start()
    return controller
