#!/usr/bin/python3
"""Baseline for bench/bench_probe.sh: checking image URLs the way a Python user does today.

aiohttp (Debian package python3-aiohttp), one ClientSession, a fixed pool of PARALLEL
worker tasks that take URLs from the list in order, each a GET with `Range: bytes=A-B`
(first 16 bytes by default) that reads at most that many bytes of the body and classifies
the answer: ok (200/206 and an image signature: JPEG, PNG, GIF, WEBP), not_found
(404/410), forbidden (401/403), server_error (5xx, 429), not_image, timeout,
connection_failed. No retries. Prints one JSON line of counts; exit 0 when every URL is
ok, 1 otherwise, 2 when it could not run.

Usage: probe_aiohttp.py URLS_FILE [--parallel 256] [--range 0-15] [--timeout 30]
"""
import argparse
import asyncio
import collections
import json
import sys

try:
    import aiohttp
except ImportError:
    sys.exit("probe_aiohttp: needs aiohttp (apt-get install python3-aiohttp)")


def is_image(head):
    return (head.startswith(b"\xff\xd8\xff") or head.startswith(b"\x89PNG\r\n\x1a\n")
            or head[:6] in (b"GIF87a", b"GIF89a") or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"))


def classify(status, head):
    if status in (200, 206):
        return "ok" if is_image(head) else "not_image"
    if status in (404, 410):
        return "not_found"
    if status in (401, 403):
        return "forbidden"
    if status >= 500 or status == 429:
        return "server_error"
    return "status_%d" % status


async def run(urls, parallel, rng, timeout):
    counts = collections.Counter()
    want = int(rng.split("-")[1]) - int(rng.split("-")[0]) + 1
    connector = aiohttp.TCPConnector(limit=parallel, limit_per_host=parallel, ttl_dns_cache=300)
    client_timeout = aiohttp.ClientTimeout(total=timeout, connect=min(10, timeout))
    headers = {"User-Agent": "probe_aiohttp/1 (llava-verify baseline)", "Range": "bytes=" + rng}
    it = iter(urls)

    async def worker(session):
        for url in it:
            try:
                async with session.get(url, headers=headers) as r:
                    head = await r.content.read(want)
                    counts[classify(r.status, head)] += 1
            except asyncio.TimeoutError:
                counts["timeout"] += 1
            except aiohttp.ClientError:
                counts["connection_failed"] += 1

    async with aiohttp.ClientSession(connector=connector, timeout=client_timeout) as session:
        await asyncio.gather(*(worker(session) for _ in range(parallel)))
    return counts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("urls", help="a file of URLs, one per line")
    ap.add_argument("--parallel", type=int, default=256, help="requests in flight (256)")
    ap.add_argument("--range", default="0-15", help="the byte range asked for (0-15)")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds per request (30)")
    args = ap.parse_args()
    try:
        with open(args.urls) as f:
            urls = [line.strip() for line in f if line.strip()]
    except OSError as e:
        print("probe_aiohttp: %s" % e, file=sys.stderr)
        return 2
    counts = asyncio.run(run(urls, args.parallel, args.range, args.timeout))
    print(json.dumps(dict(urls=len(urls), **dict(sorted(counts.items())))))
    return 0 if counts["ok"] == len(urls) else 1


if __name__ == "__main__":
    sys.exit(main())
