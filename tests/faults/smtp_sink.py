"""A loopback SMTP server for the fault tests: accepts every message and appends its Message-ID
(one line per accepted message, so a duplicate shows as a repeated line) to a file.
    python3 tests/faults/smtp_sink.py PORT FILE [DELAY]
DELAY: seconds to wait after a message's data before accepting it (a slow relay), or `hang` to
never answer it (a relay that stops answering). Sessions are served in parallel. With
SINK_PIPELINING=1 in the environment it offers PIPELINING (RFC 2920), as most relays do.
"""

import os
import socketserver
import sys
import threading
import time

PORT, OUT = int(sys.argv[1]), sys.argv[2]
DELAY = sys.argv[3] if len(sys.argv) > 3 else "0"
PIPELINING = os.environ.get("SINK_PIPELINING") == "1"
lock = threading.Lock()


class Session(socketserver.StreamRequestHandler):
    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self):
        self.reply("220 fault-sink ESMTP")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line.decode("utf-8", "replace").strip().split(" ")[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250-fault-sink")
                if PIPELINING:
                    self.reply("250-PIPELINING")
                self.reply("250 8BITMIME")
            elif verb == "DATA":
                self.reply("354 end with .")
                message_id = ""
                while True:
                    data = self.rfile.readline()
                    if not data or data in (b".\r\n", b".\n"):
                        break
                    if not message_id and data.lower().startswith(b"message-id:"):
                        message_id = data.split(b":", 1)[1].strip().decode("ascii", "replace")
                if DELAY == "hang":
                    time.sleep(3600)
                    return
                time.sleep(float(DELAY))
                # Accepted: the reply is the relay's promise to deliver.
                with lock, open(OUT, "a") as f:
                    f.write(message_id + "\n")
                self.reply("250 OK queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                self.reply("250 OK")
            else:
                self.reply("502 not implemented")


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Two instances open up to 32 connections each at once. socketserver's default backlog (5)
    # drops the others' handshakes, and a connection that waits out the SYN retransmissions
    # (1 s, 3 s...) misses the delivery timeout; a real relay listens with a deep queue.
    request_queue_size = 128


Server(("127.0.0.1", PORT), Session).serve_forever()
