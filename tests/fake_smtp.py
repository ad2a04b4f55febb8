"""A tiny SMTP server on 127.0.0.1 (asyncio; aiosmtpd is not installed): it takes what
smtplib sends (EHLO, MAIL, RCPT, DATA, QUIT) and keeps each message, parsed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser


@dataclass
class FakeSmtp:
    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    port: int = 0

    async def session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def say(line: str) -> None:
            writer.write(f"{line}\r\n".encode())

        say("220 fake.kommun.test ESMTP")
        rcpt: list[str] = []
        try:
            while line := await reader.readline():
                command = line.decode("ascii", "replace").strip()
                verb = command[:4].upper()
                if verb in ("EHLO", "HELO"):
                    say("250-fake.kommun.test")
                    say("250 8BITMIME")
                elif verb == "MAIL":
                    rcpt = []
                    say("250 OK")
                elif verb == "RCPT":
                    rcpt.append(command.split(":", 1)[1].strip(" <>"))
                    say("250 OK")
                elif verb == "DATA":
                    say("354 End data with <CR><LF>.<CR><LF>")
                    await writer.drain()
                    data = bytearray()
                    while (part := await reader.readline()) not in (b".\r\n", b""):
                        data += part[1:] if part.startswith(b"..") else part
                    parsed = BytesParser(policy=policy.default).parsebytes(bytes(data))
                    assert isinstance(parsed, EmailMessage)
                    self.messages.append(parsed)
                    self.recipients.append(rcpt)
                    say("250 OK: queued")
                elif verb == "QUIT":
                    say("221 Bye")
                    await writer.drain()
                    break
                else:  # RSET, NOOP and the rest
                    say("250 OK")
                await writer.drain()
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


@contextlib.asynccontextmanager
async def smtp_server() -> AsyncIterator[FakeSmtp]:
    fake = FakeSmtp()
    server = await asyncio.start_server(fake.session, "127.0.0.1", 0)
    fake.port = server.sockets[0].getsockname()[1]
    try:
        yield fake
    finally:
        server.close()
        await server.wait_closed()
