#!/usr/bin/python3
"""An image host that misbehaves on cue, for `llava-verify probe`'s tests (stdlib only).

One behaviour per path prefix; NAME (the rest of the path) is a free label, so that every
URL of a test is distinct, and state such as "first request" is kept per path. Bodies are
deterministic functions of the behaviour and NAME (import this module and call body_for()
to get the bytes a URL serves: the tests compare downloads with them).

  /img/NAME            200 image/jpeg, 2048..5119 bytes (size and bytes from NAME), starts
                       FF D8 FF E0 (JFIF), ends FF D9; Range `bytes=a-b` gets 206 +
                       Content-Range (a start past the end gets 416)
  /png/NAME            the same for a valid PNG (stored deflate; ~2-5 KB)
  /gif/NAME            the same for a GIF89a, /webp/NAME for a RIFF....WEBP (extras)
  /big/NAME            200 image/jpeg of 2 MiB that IGNORES Range; sent in 16 KiB pieces
                       with SO_SNDBUF 64 KiB, so that body_bytes_sent in the log is close
                       to what the client took before it closed the connection
  /404/NAME /410/NAME /403/NAME /401/NAME   that status, a small HTML body
  /flaky/NAME          first request 500, later ones as /img/NAME
  /500/NAME            always 500
  /429/NAME            first request 429 with Retry-After: 1, later ones as /img/NAME
  /html/NAME           200 text/html, an HTML "not found" page (Range ignored)
  /lying/NAME          200 Content-Type image/jpeg, HTML bytes (Range ignored)
  /placeholder/NAME    200 image/png: the same ~1.5 KB "image unavailable" PNG for every
                       NAME; Range honoured. /placeholder-norange/NAME: same bytes, Range
                       ignored. Its "SIZE SHA256 test-placeholder" line is served at
                       /placeholder-list and written to --placeholder-file at start.
  /redirect/N/NAME     302 to /redirect/N-1/NAME; /redirect/0/NAME 302 to /img/NAME
                       (relative Location)
  /loop/NAME           302 to itself
  /reset/NAME          reads the request, then closes with RST (SO_LINGER 0), no answer
  /stall/NAME          status line and headers (200 image/jpeg, Content-Length of the
                       /img/ body), then nothing for --stall seconds (60) or until the
                       client closes
  /noai/NAME           200 image/jpeg (whole body, Range ignored) with
                       X-Robots-Tag: noai, noimageai
  /robots-other/NAME   the same with X-Robots-Tag: nofollow (not an opt-out)
  /slow/NAME           as /img/NAME after --slow-delay seconds (0.3)
  /trickle/NAME        as /img/NAME, the body in 4 pieces 0.1 s apart (extra: makes a
                       kill land in the middle of a body)
Control paths (logged with "control": true, not counted in the statistics):
  /stats               JSON: requests, max in flight per Host header, per local address
                       and in all, requests per Host header, connections, in_flight_now
                       (requests being answered now); /stats?reset=1 returns them and
                       starts the counts again
  /placeholder-list    the placeholder line
Anything else: 400.

HTTP/1.1 with keep-alive (every answer has a Content-Length; the connection stays open
unless the client asks otherwise or the behaviour ends it).

Listens on every --bind address (loopback only) with one port (--port, 0 = a free one,
printed on stdout and written to --port-file once all are bound). Logs each request as
one JSON line in --log when it ends: t (arrival), t_end, peer, local, host (Host header),
method, path, range, user_agent, status (0: no answer), body_bytes (the body's length),
body_bytes_sent, complete (the whole body went out), conn (connection number) and req
(request number on that connection, from 1), in_flight_host / in_flight_local /
in_flight_total (requests in flight on arrival, this one included), and reset / stalled
where they apply. Exits after --timeout seconds (120), on SIGTERM/SIGINT, once
--owner-pid is gone, or when its parent process dies; writes --stats-file then.
"""
import argparse
import hashlib
import http.server
import json
import os
import select
import signal
import socket
import struct
import sys
import threading
import time
import zlib

from fault_server import parse_range  # one Range parser for both test servers

BIG_SIZE = 2 * 1024 * 1024
PIECE = 16384

JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
PNG_SIG = b"\x89PNG\r\n\x1a\n"

NOT_FOUND_PAGE = (b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n"
                  b"<body><h1>Not Found</h1><p>The photo you were looking for is no longer "
                  b"available.</p><p><a href=\"/\">Back to the home page</a></p></body></html>\n")


def _stream(label, n):
    """n deterministic pseudo-random bytes for label."""
    return hashlib.shake_256(label.encode("utf-8", "surrogateescape")).digest(n)


def _number(label, lo, hi):
    """A deterministic integer in [lo, hi] for label."""
    h = hashlib.sha256(label.encode("utf-8", "surrogateescape")).digest()
    return lo + int.from_bytes(h[:4], "big") % (hi - lo + 1)


def jpeg_bytes(label, size):
    filler = _stream("jpeg:" + label, size - len(JPEG_HEAD) - 2).replace(b"\xff", b"\xfe")
    return JPEG_HEAD + filler + b"\xff\xd9"


def _png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bytes(width, height, pixels):
    """A valid 8-bit RGB PNG of these pixels (width * height * 3 bytes), stored deflate."""
    row = width * 3
    raw = b"".join(b"\x00" + pixels[y * row:(y + 1) * row] for y in range(height))
    return (PNG_SIG + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + _png_chunk(b"IDAT", zlib.compress(raw, 0)) + _png_chunk(b"IEND", b""))


def gif_bytes(label, size):
    """A GIF89a: a 1x1 image after a comment extension that pads it to about size bytes."""
    head = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    tail = b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00" + b"\x3b"
    pad = _stream("gif:" + label, max(0, size - len(head) - len(tail) - 3))
    blocks = b"".join(bytes([len(pad[i:i + 255])]) + pad[i:i + 255] for i in range(0, len(pad), 255))
    return head + b"\x21\xfe" + blocks + b"\x00" + tail


def webp_bytes(label, size):
    payload = _stream("webp:" + label, size - 20)
    chunk = b"VP8L" + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def image_body(name):
    """The /img/NAME body (also /slow/, /trickle/, /stall/, /noai/, ... and the retried ones)."""
    return jpeg_bytes(name, _number("jpeg-size:" + name, 2048, 5119))


def png_body(name):
    w, h = _number("png-w:" + name, 26, 40), _number("png-h:" + name, 26, 40)
    return png_bytes(w, h, _stream("png:" + name, w * h * 3))


_PLACEHOLDER = None
_BIG = None


def placeholder_body():
    """A 22x22 light grey PNG with a darker cross: the "image unavailable" picture."""
    global _PLACEHOLDER
    if _PLACEHOLDER is None:
        n = 22
        px = bytearray()
        for y in range(n):
            for x in range(n):
                px += b"\x70\x70\x70" if x == y or x == n - 1 - y else b"\xc8\xc8\xc8"
        _PLACEHOLDER = png_bytes(n, n, bytes(px))
    return _PLACEHOLDER


def big_body():
    global _BIG
    if _BIG is None:
        _BIG = jpeg_bytes("big", BIG_SIZE)
    return _BIG


def placeholder_line():
    body = placeholder_body()
    return "%d %s test-placeholder\n" % (len(body), hashlib.sha256(body).hexdigest())


def body_for(path):
    """(content type, bytes) that a successful GET of PATH (/KIND/NAME) serves, or None."""
    parts = path.split("?", 1)[0].split("/")
    if len(parts) < 3 or not parts[-1]:
        return None
    kind, name = parts[1], parts[-1]
    if kind in ("img", "slow", "trickle", "flaky", "429", "noai", "robots-other", "stall", "redirect"):
        return "image/jpeg", image_body(name)
    if kind == "png":
        return "image/png", png_body(name)
    if kind == "gif":
        return "image/gif", gif_bytes(name, _number("gif-size:" + name, 2048, 5119))
    if kind == "webp":
        return "image/webp", webp_bytes(name, _number("webp-size:" + name, 2048, 5119))
    if kind in ("placeholder", "placeholder-norange"):
        return "image/png", placeholder_body()
    if kind == "big":
        return "image/jpeg", big_body()
    return None


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.seen = {}
        self.log = open(args.log, "a", buffering=1) if args.log else None
        self.stop = threading.Event()
        self.conns = 0
        self.in_host, self.in_local, self.in_total = {}, {}, 0
        self.reset_stats()

    def reset_stats(self):
        self.max_host, self.max_local, self.max_total = {}, {}, 0
        self.requests, self.by_host = 0, {}

    def first_time(self, path):
        with self.lock:
            n = self.seen.get(path, 0)
            self.seen[path] = n + 1
            return n == 0

    def next_conn(self):
        with self.lock:
            self.conns += 1
            return self.conns

    def begin(self, host, local):
        with self.lock:
            self.in_host[host] = self.in_host.get(host, 0) + 1
            self.in_local[local] = self.in_local.get(local, 0) + 1
            self.in_total += 1
            self.requests += 1
            self.by_host[host] = self.by_host.get(host, 0) + 1
            self.max_host[host] = max(self.max_host.get(host, 0), self.in_host[host])
            self.max_local[local] = max(self.max_local.get(local, 0), self.in_local[local])
            self.max_total = max(self.max_total, self.in_total)
            return self.in_host[host], self.in_local[local], self.in_total

    def end(self, host, local):
        with self.lock:
            self.in_host[host] -= 1
            self.in_local[local] -= 1
            self.in_total -= 1

    def stats(self):
        with self.lock:
            return {"requests": self.requests, "requests_by_host": dict(sorted(self.by_host.items())),
                    "max_in_flight": {"host": dict(sorted(self.max_host.items())),
                                      "local": dict(sorted(self.max_local.items())),
                                      "total": self.max_total},
                    "connections": self.conns, "in_flight_now": self.in_total}

    def write_log(self, record):
        line = json.dumps(record, sort_keys=True) + "\n"
        with self.lock:
            if self.log:
                self.log.write(line)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "lv-probe-test/1"
    sys_version = ""
    timeout = 30            # an idle keep-alive connection is closed after this
    state = None            # set on the class before serving

    def log_message(self, fmt, *args):
        pass

    def setup(self):
        super().setup()
        self.conn_id = self.state.next_conn()
        self.req_no = 0

    def do_GET(self):
        self.dispatch(head=False)

    def do_HEAD(self):
        self.dispatch(head=True)

    # --- plumbing -------------------------------------------------------------------
    def send_head(self, status, headers, length):
        self.rec["status"] = status
        self.rec["body_bytes"] = length
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(length))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()

    def send_body(self, data, pieces=1, pause=0.0):
        """Sends data (16 KiB at a time, or in `pieces` parts `pause` s apart); False if the client went away."""
        if self.head:
            self.rec["complete"] = True
            return True
        step = PIECE if pieces <= 1 else max(1, -(-len(data) // pieces))
        try:
            for i in range(0, len(data), step):
                if pause and i:
                    if self.state.stop.wait(pause):
                        raise OSError("server stopping")
                self.wfile.write(data[i:i + step])
                self.rec["body_bytes_sent"] += len(data[i:i + step])
        except OSError:
            self.close_connection = True
            return False
        self.rec["complete"] = True
        return True

    def answer(self, status, ctype, body, extra=(), honour_range=False, pieces=1, pause=0.0):
        headers = [("Content-Type", ctype)] + list(extra)
        if honour_range:
            headers.append(("Accept-Ranges", "bytes"))
            rng = parse_range(self.headers.get("Range"), len(body))
            if rng == "bad":
                self.send_head(416, headers + [("Content-Range", "bytes */%d" % len(body))], 0)
                self.rec["complete"] = True
                return
            if rng is not None:
                start, end = rng
                headers.append(("Content-Range", "bytes %d-%d/%d" % (start, end, len(body))))
                body = body[start:end + 1]
                status = 206
        self.send_head(status, headers, len(body))
        self.send_body(body, pieces, pause)

    def error_page(self, status, extra=()):
        body = NOT_FOUND_PAGE if status in (404, 410) else (
            b"<!DOCTYPE html>\n<html><body><h1>%d</h1></body></html>\n" % status)
        self.answer(status, "text/html; charset=utf-8", body, extra)

    def redirect(self, location):
        self.answer(302, "text/html; charset=utf-8", b"<a href=\"%s\">moved</a>\n" % location.encode(),
                    [("Location", location)])

    def reset(self):
        """Closes the connection with a RST and no answer."""
        self.rec["reset"] = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            os.close(self.connection.detach())
        except OSError:
            pass
        self.close_connection = True

    def stall(self, body):
        """Status line and headers, then silence until --stall s pass or the client closes."""
        self.send_head(200, [("Content-Type", "image/jpeg")], len(body))
        self.rec["stalled"] = True
        try:
            self.wfile.flush()
        except OSError:
            pass
        end = time.monotonic() + self.state.args.stall
        while not self.state.stop.is_set():
            left = end - time.monotonic()
            if left <= 0:
                break
            try:
                readable, _, _ = select.select([self.connection], [], [], min(left, 0.1))
                if readable and not self.connection.recv(4096):
                    break           # the client closed the connection
            except OSError:
                break
        self.close_connection = True

    # --- behaviours -----------------------------------------------------------------
    def dispatch(self, head):
        self.head = head
        self.req_no += 1
        st = self.state
        local = "%s:%d" % self.connection.getsockname()[:2]
        host = self.headers.get("Host", "")
        path, _, query = self.path.partition("?")
        self.rec = {"t": round(time.time(), 6), "peer": "%s:%d" % self.client_address[:2], "local": local,
                    "host": host, "method": self.command, "path": self.path,
                    "range": self.headers.get("Range", ""), "user_agent": self.headers.get("User-Agent", ""),
                    "status": 0, "body_bytes": 0, "body_bytes_sent": 0, "complete": False,
                    "conn": self.conn_id, "req": self.req_no}
        if path in ("/stats", "/placeholder-list"):
            self.rec["control"] = True
            if path == "/stats":
                body = (json.dumps(st.stats(), indent=1, sort_keys=True) + "\n").encode()
                if "reset=1" in query.split("&"):
                    with st.lock:
                        st.reset_stats()
                self.answer(200, "application/json", body)
            else:
                self.answer(200, "text/plain", placeholder_line().encode())
            self.finish_request()
            return
        ih, il, it = st.begin(host, local)
        self.rec.update(in_flight_host=ih, in_flight_local=il, in_flight_total=it)
        try:
            self.behave(path)
        finally:
            st.end(host, local)
            self.finish_request()

    def finish_request(self):
        self.rec["t_end"] = round(time.time(), 6)
        self.state.write_log(self.rec)

    def behave(self, path):
        st = self.state
        parts = path.split("/")
        kind = parts[1] if len(parts) >= 3 and parts[-1] else ""
        name = parts[-1]
        jpeg = image_body(name)
        if kind in ("img", "png", "gif", "webp", "placeholder"):
            ctype, body = body_for(path)
            self.answer(200, ctype, body, honour_range=True)
        elif kind == "placeholder-norange":
            self.answer(200, "image/png", placeholder_body())
        elif kind == "big":
            try:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
            except OSError:
                pass
            self.answer(200, "image/jpeg", big_body())
        elif kind in ("404", "410", "403", "401") and len(parts) == 3:
            extra = [("WWW-Authenticate", 'Basic realm="images"')] if kind == "401" else []
            self.error_page(int(kind), extra)
        elif kind == "flaky":
            if st.first_time(path):
                self.error_page(500)
            else:
                self.answer(200, "image/jpeg", jpeg, honour_range=True)
        elif kind == "500":
            self.error_page(500)
        elif kind == "429":
            if st.first_time(path):
                self.error_page(429, [("Retry-After", "1")])
            else:
                self.answer(200, "image/jpeg", jpeg, honour_range=True)
        elif kind == "html":
            self.answer(200, "text/html; charset=utf-8", NOT_FOUND_PAGE)
        elif kind == "lying":
            self.answer(200, "image/jpeg", NOT_FOUND_PAGE)
        elif kind == "redirect" and len(parts) == 4 and parts[2].isdigit():
            n = int(parts[2])
            self.redirect("/redirect/%d/%s" % (n - 1, name) if n > 0 else "/img/" + name)
        elif kind == "loop":
            self.redirect(path)
        elif kind == "reset":
            self.reset()
        elif kind == "stall":
            self.stall(jpeg)
        elif kind == "noai":
            self.answer(200, "image/jpeg", jpeg, [("X-Robots-Tag", "noai, noimageai")])
        elif kind == "robots-other":
            self.answer(200, "image/jpeg", jpeg, [("X-Robots-Tag", "nofollow")])
        elif kind == "slow":
            if st.stop.wait(st.args.slow_delay):
                self.close_connection = True
                return
            self.answer(200, "image/jpeg", jpeg, honour_range=True)
        elif kind == "trickle":
            self.answer(200, "image/jpeg", jpeg, honour_range=True, pieces=4, pause=0.1)
        else:
            self.answer(400, "text/plain", b"no such behaviour\n")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False      # server_close must not wait for stalled connections
    allow_reuse_address = True
    request_queue_size = 512


class Server6(Server):
    address_family = socket.AF_INET6


def is_loopback(addr):
    return addr.startswith("127.") or addr == "::1"


def bind_all(addrs, port):
    """One server per address, all on one port (a free one if port is 0)."""
    for _ in range(50 if port == 0 else 1):
        servers, p = [], port
        try:
            for a in addrs:
                s = (Server6 if ":" in a else Server)((a, p), Handler)
                p = s.server_address[1]
                servers.append(s)
            return servers, p
        except OSError as e:
            err = e
            for s in servers:
                s.server_close()
    raise SystemExit("probe_server: cannot bind %s on port %d: %s" % (", ".join(addrs), port, err))


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--bind", action="append", default=[], help="a loopback address to listen on (repeat; default 127.0.0.1)")
    ap.add_argument("--port", type=int, default=0, help="the port for every address (0: a free one)")
    ap.add_argument("--port-file", help="written with the port once every address is bound")
    ap.add_argument("--log", help="JSON lines request log (appended)")
    ap.add_argument("--stats-file", help="written with the /stats JSON at exit")
    ap.add_argument("--placeholder-file", help="written at start with the placeholder's 'SIZE SHA256 label' line")
    ap.add_argument("--timeout", type=float, default=120.0, help="exit after this many seconds (120)")
    ap.add_argument("--owner-pid", type=int, default=0, help="exit soon after this process is gone")
    ap.add_argument("--slow-delay", type=float, default=0.3, help="delay of /slow/ (0.3 s)")
    ap.add_argument("--stall", type=float, default=60.0, help="silence of /stall/ after the headers (60 s)")
    args = ap.parse_args()
    addrs = args.bind or ["127.0.0.1"]
    for a in addrs:
        if not is_loopback(a):
            raise SystemExit("probe_server: loopback addresses only, not %s" % a)

    state = State(args)
    Handler.state = state
    big_body()
    if args.placeholder_file:
        write_atomic(args.placeholder_file, placeholder_line())
    servers, port = bind_all(addrs, args.port)
    for s in servers:
        threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    if args.port_file:
        write_atomic(args.port_file, "%d\n" % port)
    print(port, flush=True)

    signal.signal(signal.SIGTERM, lambda *_: state.stop.set())
    signal.signal(signal.SIGINT, lambda *_: state.stop.set())
    parent = os.getppid()
    deadline = time.monotonic() + args.timeout
    while not state.stop.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            break
        state.stop.wait(min(left, 0.5))
        if os.getppid() != parent:
            break                       # the parent died: we were re-parented
        if args.owner_pid:
            try:
                os.kill(args.owner_pid, 0)
            except ProcessLookupError:
                break
            except PermissionError:
                pass
    state.stop.set()
    for s in servers:
        s.shutdown()
        s.server_close()
    if args.stats_file:
        write_atomic(args.stats_file, json.dumps(state.stats(), indent=1, sort_keys=True) + "\n")
    if state.log:
        with state.lock:
            state.log.close()
            state.log = None
    return 0


if __name__ == "__main__":
    sys.exit(main())
