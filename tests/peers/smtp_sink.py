#!/usr/bin/env python3
"""SMTP sink used as a test peer (started by tests/peers/smtp.sh; needs aiosmtpd).

    smtp_sink.py DIR

Reads its settings from DIR (written by smtp.sh start):
    DIR/port          TCP port, listens on 127.0.0.1 only
    DIR/credentials   optional, two lines USER and PASS: offer AUTH PLAIN/LOGIN without TLS
                      and refuse MAIL/RCPT before a successful AUTH with 530
    DIR/max_size      optional, SIZE limit in bytes (default 10 MiB)

Every accepted message becomes one file in DIR/maildir/new (written in DIR/maildir/tmp, then
renamed), holding the DATA bytes exactly as received (CRLF line ends, dot-unstuffed), preceded by
two added header lines:
    X-Envelope-To: <all RCPT TO addresses, ", " separated>
    X-Envelope-From: <MAIL FROM address>

While DIR/refuse exists, every MAIL FROM is answered "451 4.3.0 try again later", or with the
first line of DIR/refuse when it is not empty (e.g. "550 5.7.1 rejected" for a permanent failure).

Logs (aiosmtpd's, plus one "stored" line per message) go to stderr. SIGTERM/SIGINT stop it.
"""
import asyncio
import logging
import os
import signal
import socket
import sys
import time
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

DEFAULT_MAX_SIZE = 10 * 1024 * 1024
HOSTNAME = "smtp-sink.voisinage.test"  # fixed: avoids a getfqdn() lookup per connection

log = logging.getLogger("smtp_sink")


def read_opt(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        return None


class Sink:
    def __init__(self, dir_):
        self.dir = dir_
        self.maildir = os.path.join(dir_, "maildir")
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(self.maildir, sub), exist_ok=True)
        self.counter = 0
        self.host = socket.gethostname().replace("/", "\\057").replace(":", "\\072")

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        refuse = os.path.join(self.dir, "refuse")
        if os.path.exists(refuse):
            reply = (read_opt(refuse) or "").strip().splitlines()
            reply = reply[0].strip() if reply and reply[0].strip() else "451 4.3.0 try again later"
            log.info("refusing MAIL FROM:<%s> (%s exists): %s", address, refuse, reply)
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content  # bytes as received, after dot-unstuffing
        head = (
            b"X-Envelope-To: " + ", ".join(envelope.rcpt_tos).encode("utf-8") + b"\r\n"
            + b"X-Envelope-From: " + (envelope.mail_from or "").encode("utf-8") + b"\r\n"
        )
        self.counter += 1
        now = time.time()
        name = "%d.M%dP%dQ%d.%s" % (int(now), int((now % 1) * 1e6), os.getpid(), self.counter,
                                    self.host)
        tmp = os.path.join(self.maildir, "tmp", name)
        new = os.path.join(self.maildir, "new", name)
        with open(tmp, "wb") as f:
            f.write(head)
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, new)
        log.info("stored %s from <%s> to %s (%d bytes, smtputf8=%s, options=%s)", new,
                 envelope.mail_from, envelope.rcpt_tos, len(raw), envelope.smtp_utf8,
                 envelope.mail_options)
        return "250 2.0.0 OK queued as " + name


def make_authenticator(user, password):
    user_b, pass_b = user.encode("utf-8"), password.encode("utf-8")

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == user_b and auth_data.password == pass_b)
        log.info("AUTH %s as %r: %s", mechanism,
                 getattr(auth_data, "login", b"?").decode("utf-8", "replace"),
                 "ok" if ok else "refused")
        # handled=False on failure: aiosmtpd then answers 535 itself (the default handled=True
        # means "the reply was already sent" and the client would hang waiting for one).
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    return authenticator


async def main(dir_):
    port = int(read_opt(os.path.join(dir_, "port")).strip())
    max_size = int((read_opt(os.path.join(dir_, "max_size")) or str(DEFAULT_MAX_SIZE)).strip())
    creds = read_opt(os.path.join(dir_, "credentials"))
    handler = Sink(dir_)

    kwargs = dict(
        data_size_limit=max_size,
        enable_SMTPUTF8=True,
        decode_data=False,  # bytes; also makes EHLO advertise 8BITMIME
        hostname=HOSTNAME,
        timeout=300,
    )
    if creds is not None:
        lines = creds.split("\n")
        user, password = lines[0], lines[1] if len(lines) > 1 else ""
        kwargs.update(
            authenticator=make_authenticator(user, password),
            auth_required=True,        # MAIL/RCPT before AUTH -> 530
            auth_require_tls=False,    # no TLS here: advertise AUTH on plain connections
        )
        # aiosmtpd warns that AUTH without TLS is insecure: it is a local test peer.
        warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")

    # Noise: aiosmtpd itself sets the deprecated Session.login_data on every AUTH.
    logging.getLogger("mail.log").addFilter(
        lambda r: "auth_require_tls == False" not in r.getMessage()
        and "login_data is deprecated" not in r.getMessage())

    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, loop=loop, **kwargs),
                                      host="127.0.0.1", port=port)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("listening on 127.0.0.1:%d (auth=%s, max_size=%d, maildir=%s)", port,
             "PLAIN LOGIN" if creds is not None else "none", max_size, handler.maildir)
    await stop.wait()
    log.info("stopping")
    server.close()
    try:  # since Python 3.12 wait_closed() also waits for open client connections
        await asyncio.wait_for(server.wait_closed(), 2)
    except asyncio.TimeoutError:
        pass


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    asyncio.run(main(os.path.abspath(sys.argv[1])))
