#!/usr/bin/env python3
"""Local SMTP sink for vigil's alert tests: aiosmtpd writing a Maildir.

  /usr/bin/python3 tests/support/smtp_sink.py --maildir DIR [--port 0]
Listens on 127.0.0.1, prints "port=N" once accepting (no port race: the
socket is bound before the server starts). Needs python3-aiosmtpd (call
/usr/bin/python3: pyenv's python3 cannot see Debian's packages).
"""
import argparse
import asyncio
import signal
import socket
import sys

from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import SMTP


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--maildir", required=True)
    a = p.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", a.port))
    handler = Mailbox(a.maildir)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(lambda: SMTP(handler, loop=loop), sock=sock))
    print("port=%d" % sock.getsockname()[1], flush=True)
    try:
        sys.stdout.close()
    except OSError:
        pass
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    try:
        loop.run_forever()
    except KeyboardInterrupt:
        pass
    server.close()


if __name__ == "__main__":
    main()
