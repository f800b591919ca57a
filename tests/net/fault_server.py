#!/usr/bin/python3
"""A misbehaving HTTP file server for llava-verify's download tests (stdlib only).

Serves one file under URL prefixes that each choose a behaviour; NAME (the rest of the
path) is only a label, so a test can give every scenario its own name, and the
"first request" state below is kept per path:

  /ok/NAME                  200 with ETag, Last-Modified, Accept-Ranges; a Range gets
                            206 + Content-Range; If-Range (ETag or date) that does not
                            match gets 200 with the whole file
  /drop/NAME                first GET, if without Range: headers with the full
                            Content-Length, half the body, then the connection closes;
                            HEAD, later GETs and any GET with Range as /ok
  /500-then-ok/NAME         first request 500, later ones as /ok
  /429/NAME                 first request 429 with Retry-After: 1, later ones as /ok
  /html/NAME                always 200, Content-Type text/html, an HTML error page
  /wrong/NAME               like /ok, but every byte inverted (right length, other hash)
  /stall/NAME               headers (full Content-Length) and 1 KiB, then 30 s of
                            silence, then close
  /no-range/NAME            ignores Range and If-Range: always 200 with the whole file
  /changed/NAME             the "new" content (--changed-file) with its own ETag and
                            Last-Modified; Range honoured only when If-Range is absent or
                            matches the new validators, so If-Range with /ok's ETag
                            gets 200 with the whole new content
  /change-midway/NAME       first GET: the old file with /ok's ETag, dropped half way
                            like /drop (a HEAD before it sees /ok's headers); every
                            later request as /changed: what a client sees when the
                            file changes under a download
  /redirect-other-host/NAME 302 to http://ALT_HOST:PORT/ok/NAME (the same server,
                            reached through the other loopback address)
  /header-flood/NAME        200, then header lines of 1,000 bytes each without end
                            (64 MiB at most, or until the client hangs up): a client
                            must stop reading headers at a bound of its own

Listens on --host and --alt-host (default 127.0.0.1 and 127.0.0.2) on the same free port,
which it writes to --port-file once both are bound. Every request is appended to --log
as one JSON line: t (arrival, epoch seconds), host, port, method, uri, status, range,
if_range, authorization, bytes (body bytes sent; for /drop/ and /stall/ the line is
written before the body, with bytes 0 and dropped_after/stalled_after instead). Exits after --timeout seconds
(default 120), on SIGTERM/SIGINT, or once --owner-pid is gone.
"""
import argparse
import email.utils
import hashlib
import http.server
import json
import os
import signal
import socket
import sys
import threading
import time

OLD_MTIME = 1700000000      # 2023-11-14: Last-Modified of the original file
NEW_MTIME = 1710000000      # 2024-03-09: Last-Modified of the changed file


class Content:
    def __init__(self, data, mtime):
        self.data = data
        self.etag = '"%s"' % hashlib.sha256(data).hexdigest()
        self.last_modified = email.utils.formatdate(mtime, usegmt=True)


class State:
    def __init__(self, args):
        with open(args.file, "rb") as f:
            data = f.read()
        if args.changed_file:
            with open(args.changed_file, "rb") as f:
                changed = f.read()
        else:
            changed = b"CHANGED!" + data[8:]
        self.ok = Content(data, OLD_MTIME)
        self.changed = Content(changed, NEW_MTIME)
        self.wrong = Content(bytes(b ^ 0xFF for b in data), OLD_MTIME)
        self.lock = threading.Lock()
        self.seen = {}              # path -> number of requests so far
        self.log = open(args.log, "a", buffering=1)
        self.stop = threading.Event()
        self.port = 0
        self.alt_host = args.alt_host

    def count(self, path):
        """Number of earlier requests for this path (0 for the first)."""
        with self.lock:
            n = self.seen.get(path, 0)
            self.seen[path] = n + 1
            return n

    def write_log(self, record):
        with self.lock:
            self.log.write(json.dumps(record, sort_keys=True) + "\n")


HTML_PAGE = (b"<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head>\n"
             b"<body><h1>Service Unavailable</h1><p>The file is temporarily unavailable. "
             b"Please try again later.</p></body></html>\n")


def parse_range(value, size):
    """(start, end) inclusive for a single 'bytes=' range, None to ignore it, 'bad' for 416."""
    if not value or not value.startswith("bytes=") or "," in value:
        return None
    spec = value[6:].strip()
    first, sep, last = spec.partition("-")
    if not sep:
        return None
    try:
        if first == "":
            n = int(last)
            if n <= 0:
                return "bad"
            return (max(0, size - n), size - 1)
        start = int(first)
        end = int(last) if last else size - 1
    except ValueError:
        return None
    if start >= size:
        return "bad"
    if end < start:
        return None
    return (start, min(end, size - 1))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "lv-fault/1"
    state = None            # set on the class before serving

    def log_message(self, fmt, *args):  # quiet on stderr
        pass

    def do_HEAD(self):
        self.handle_any(head=True)

    def do_GET(self):
        self.handle_any(head=False)

    # --- plumbing -----------------------------------------------------------------
    def begin(self, status, headers, body_len):
        self.record["status"] = status
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(body_len))
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def send_body(self, data):
        if self.head:
            return
        try:
            self.wfile.write(data)
            self.wfile.flush()
            self.record["bytes"] += len(data)
        except OSError:
            pass

    def finish_log(self):
        self.state.write_log(self.record)

    def serve_content(self, content, honour_range=True, drop_half=False, stall=False):
        data = content.data
        size = len(data)
        headers = [("Content-Type", "application/octet-stream"),
                   ("ETag", content.etag), ("Last-Modified", content.last_modified)]
        if honour_range:
            headers.append(("Accept-Ranges", "bytes"))
        rng = parse_range(self.headers.get("Range"), size) if honour_range else None
        if rng is not None and honour_range:
            if_range = self.headers.get("If-Range")
            if if_range is not None and if_range.strip() not in (content.etag, content.last_modified):
                rng = None          # validator does not match: the whole (current) file
        if rng == "bad":
            self.begin(416, [("Content-Range", "bytes */%d" % size)], 0)
            self.finish_log()
            return
        if rng is None:
            status, start, end = 200, 0, size - 1
        else:
            status, (start, end) = 206, rng
            headers.append(("Content-Range", "bytes %d-%d/%d" % (start, end, size)))
        body = data[start:end + 1]
        self.begin(status, headers, len(body))
        # The line is written before a stall or a drop, so a test can read it at once.
        if drop_half:
            self.record["dropped_after"] = len(body) // 2
            self.finish_log()
            self.send_body(body[:len(body) // 2])
            self.drop()
            return
        if stall:
            self.record["stalled_after"] = min(1024, len(body))
            self.finish_log()
            self.send_body(body[:1024])
            self.state.stop.wait(30)
            self.drop()
            return
        self.send_body(body)
        self.finish_log()

    def drop(self):
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.close_connection = True

    # --- behaviours ---------------------------------------------------------------
    def handle_any(self, head):
        self.head = head
        st = self.state
        host, port = self.connection.getsockname()[:2]
        self.record = {
            "t": round(time.time(), 6), "host": host, "port": port,
            "method": self.command, "uri": self.path, "status": 0,
            "range": self.headers.get("Range", ""),
            "if_range": self.headers.get("If-Range", ""),
            "authorization": self.headers.get("Authorization", ""),
            "bytes": 0,
        }
        path = self.path.split("?", 1)[0]
        parts = path.split("/", 2)      # ['', prefix, NAME]
        prefix = parts[1] if len(parts) == 3 and parts[2] else ""
        n = st.count(path)                      # requests of any method before this one
        g = st.count(("GET", path)) if self.command == "GET" else st.seen.get(("GET", path), 0)
        has_range = "Range" in self.headers

        if prefix == "ok":
            self.serve_content(st.ok)
        elif prefix == "drop":
            self.serve_content(st.ok, drop_half=(g == 0 and not has_range))
        elif prefix == "500-then-ok":
            if n == 0:
                body = b"internal error\n"
                self.begin(500, [("Content-Type", "text/plain")], len(body))
                self.send_body(body)
                self.finish_log()
            else:
                self.serve_content(st.ok)
        elif prefix == "429":
            if n == 0:
                body = b"too many requests\n"
                self.begin(429, [("Content-Type", "text/plain"), ("Retry-After", "1")], len(body))
                self.send_body(body)
                self.finish_log()
            else:
                self.serve_content(st.ok)
        elif prefix == "html":
            self.begin(200, [("Content-Type", "text/html; charset=utf-8")], len(HTML_PAGE))
            self.send_body(HTML_PAGE)
            self.finish_log()
        elif prefix == "wrong":
            self.serve_content(st.wrong)
        elif prefix == "stall":
            self.serve_content(st.ok, honour_range=False, stall=True)
        elif prefix == "no-range":
            self.serve_content(st.ok, honour_range=False)
        elif prefix == "changed":
            self.serve_content(st.changed)
        elif prefix == "change-midway":
            if g == 0:
                self.serve_content(st.ok, honour_range=False, drop_half=True)
            else:
                self.serve_content(st.changed)
        elif prefix == "header-flood":
            self.record["status"] = 200
            st.write_log(self.record)
            try:
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n")
                filler = b"x" * 980
                for i in range(64 * 1024):
                    self.wfile.write(b"X-Filler-%06d: %s\r\n" % (i, filler))
            except OSError:
                pass  # the client hung up: what it should do
            self.close_connection = True
        elif prefix == "redirect-other-host":
            location = "http://%s:%d/ok/%s" % (st.alt_host, st.port, parts[2])
            body = b"moved\n"
            self.begin(302, [("Location", location), ("Content-Type", "text/plain")], len(body))
            self.send_body(body)
            self.finish_log()
        else:
            body = b"no such behaviour\n"
            self.begin(404, [("Content-Type", "text/plain")], len(body))
            self.send_body(body)
            self.finish_log()


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def bind_pair(host, alt_host):
    """Two servers on the same free port, one per loopback address."""
    for _ in range(50):
        a = Server((host, 0), Handler)
        port = a.server_address[1]
        try:
            b = Server((alt_host, port), Handler)
        except OSError:
            a.server_close()
            continue
        return a, b, port
    raise SystemExit("fault_server: no free port shared by %s and %s" % (host, alt_host))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--file", required=True, help="the file served")
    ap.add_argument("--changed-file", help="the content of /changed/ (default: the file with its first 8 bytes replaced by CHANGED!)")
    ap.add_argument("--log", required=True, help="JSON lines request log")
    ap.add_argument("--port-file", required=True, help="written with the port once listening")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--alt-host", default="127.0.0.2")
    ap.add_argument("--timeout", type=float, default=120.0, help="exit after this many seconds")
    ap.add_argument("--owner-pid", type=int, default=0, help="exit soon after this process is gone")
    args = ap.parse_args()
    for h in (args.host, args.alt_host):
        if not h.startswith("127."):
            raise SystemExit("fault_server: loopback addresses only, not %s" % h)

    state = State(args)
    Handler.state = state
    a, b, port = bind_pair(args.host, args.alt_host)
    state.port = port
    threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True) for s in (a, b)]
    for t in threads:
        t.start()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, args.port_file)

    signal.signal(signal.SIGTERM, lambda *_: state.stop.set())
    signal.signal(signal.SIGINT, lambda *_: state.stop.set())
    deadline = time.monotonic() + args.timeout
    while not state.stop.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            break
        state.stop.wait(min(left, 0.5))
        if args.owner_pid:
            try:
                os.kill(args.owner_pid, 0)
            except ProcessLookupError:
                break
            except PermissionError:
                pass
    state.stop.set()
    for s in (a, b):
        s.shutdown()
        s.server_close()
    state.log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
