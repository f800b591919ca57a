#!/usr/bin/python3
"""Write the seed corpora of the fuzz targets: fuzz/corpus/<target>/ (small files).

Usage: make_seeds.py [OUTDIR]   (default: the corpus/ folder beside this script)

Deterministic: the same files on every run. Zip seeds are assembled with the helpers of
tests/fixtures/make_bad_zips.py (build_zip, Entry), with payloads of a few bytes.
Existing files of the same names are overwritten; others are left alone (the corpus a
fuzzing run grew is not committed, see fuzz/run.sh).
"""

import hashlib
import importlib.util
import io
import json
import os
import sys
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "make_bad_zips", os.path.join(HERE, "..", "tests", "fixtures", "make_bad_zips.py"))
mbz = importlib.util.module_from_spec(spec)
sys.modules["make_bad_zips"] = mbz  # dataclasses look the module up by name
spec.loader.exec_module(mbz)


def h(algo, data):
    return hashlib.new(algo, data).hexdigest()


def write(out, target, name, data):
    folder = os.path.join(out, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def manifests_text(out):
    a, b = b"alpha\n", b"beta"
    t = "manifest_text"
    write(out, t, "gnu.sums", f"{h('sha256', a)}  a.txt\n{h('sha256', b)} *dir/b.bin\n")
    write(out, t, "gnu_escaped.sums",
          f"\\{h('sha256', a)}  new\\nline\\\\back\n# comment\n\n{h('sha256', b).upper()}  cr.txt\r\n")
    write(out, t, "reversed.sums", f"{h('md5', a)} a.txt\n{h('md5', b)} b.txt\n")
    write(out, t, "mixed_lengths.sums",
          f"{h('md5', a)}  m\n{h('sha1', a)}  s1\n{h('sha512', a)}  s5\nzz  bad\n{h('sha256', a)}\n")
    write(out, t, "bsd.sums",
          f"SHA256 (a.txt) = {h('sha256', a)}\nMD5 (b (1).txt) = {h('md5', b)}\n"
          f"SHA512 (c) = {h('sha512', b)}\nBLAKE2b (d) = {h('blake2b', b)}\nSHA1 (e) = {h('sha1', b)}\n")
    write(out, t, "bsd_escaped.sums", f"\\SHA256 (x\\ry\\\\z) = {h('sha256', b)}\nSHA3 (q) = 00\nSHA256 (no close = 1\n")
    write(out, t, "utf8.sums", f"{h('sha256', a)}  images/caf\u00e9/\u56fe\u7247.jpg\n".encode())
    write(out, t, "bom_nul.sums", b"\xef\xbb\xbf" + f"{h('sha256', a)}  bom\n".encode() + b"00\x00 x\n")


def manifests_hashdeep(out):
    a, b = b"alpha\n", b"beta"
    t = "manifest_hashdeep"
    head = "%%%% HASHDEEP-1.0\n"
    write(out, t, "md5_sha256.hashdeep",
          head + "%%%% size,md5,sha256,filename\n## comment\n##\n"
          f"{len(a)},{h('md5', a)},{h('sha256', a)},a.txt\n{len(b)},{h('md5', b)},{h('sha256', b)},dir/b, with comma\n")
    write(out, t, "tiger_skipped.hashdeep",
          head + "%%%% size,md5,tiger,filename\r\n"
          f"{len(a)},{h('md5', a)},{'0' * 48},a\r\nx,{h('md5', a)},{'0' * 48},bad size\n1,zz,0,bad digest\n2,short\n")
    write(out, t, "two_columns.hashdeep",
          head + f"%%%% size,sha1,filename\n{len(a)},{h('sha1', a)},a\n%%%% size,sha256,filename\n"
          f"{len(b)},{h('sha256', b)},b\n")
    write(out, t, "no_columns.hashdeep", head + f"1,{h('md5', a)},a\n")
    write(out, t, "bad_columns.hashdeep", head + "%%%% size,whirlpool,filename\n")


def manifests_json(out):
    a = b"alpha\n"
    t = "manifest_json"
    doc = {"format": "llava-verify-manifest/1",
           "source": {"repository": "liuhaotian/LLaVA-Pretrain", "revision": "main", "url": "https://huggingface.co/x"},
           "files": [{"path": "chat.json", "size": len(a), "sha256": h("sha256", a), "md5": h("md5", a),
                      "url": "https://huggingface.co/x/resolve/main/chat.json", "note": "n\u00e9"},
                     {"path": "images.zip", "size": None, "sha256": None, "crc32": "0badc0de"},
                     {"path_hex": "ff00", "size": 0, "sha256": "unknown", "blake2b": h("blake2b", a)}]}
    write(out, t, "full.json", json.dumps(doc, indent=2, ensure_ascii=False).encode())
    write(out, t, "malformed_entries.json",
          '{"format":"llava-verify-manifest/1","files":[1,{"size":3},{"path":""},{"path":"a","size":-1},'
          '{"path":"b","sha256":"xyz"},{"path":"c","crc32":"123"},{"path":"d\\u0000e","url":"u","extra":[{}]}]}')
    write(out, t, "bad_format.json", '{"format":"llava-verify-manifest/2","files":[]}')
    write(out, t, "truncated.json", '{"format":"llava-verify-manifest/1","files":[{"path":"a",')
    write(out, t, "trailing.json", '\ufeff{"files":[]} {}'.encode())
    write(out, t, "escapes.json", '{"files":[{"path":"\\ud83d\\ude00 \\"q\\" \\\\ \\/","size":1e3}]}')


def records(out, t):
    write(out, t, "chat.json", json.dumps([
        {"id": "GCC_train_000000001", "image": "GCC_train_000000001.jpg",
         "conversations": [{"from": "human", "value": "<image>\nDescribe."}, {"from": "gpt", "value": "A cat."}]},
        {"id": "000000033471", "image": "coco/train2017/000000033471.jpg", "conversations": []},
        {"id": 42, "conversations": [{"from": "human", "value": "text only"}]},
    ], indent=1))
    write(out, t, "escapes.json",
          '[{"image":"caf\\u00e9\\/a\\"b.jpg","id":"x"} , {"image":"\u56fe/\u7247.jpg"},\n'
          '{"image":null},{"image":1.5e400,"image":"dup.jpg"},{"image":"../up.jpg"},{"image":"/abs.jpg"},'
          '{"image":"back\\\\slash"},{"image":""}, "not an object", [1,[2,{"image":"deep"}]], 12, true, null]'.encode())
    write(out, t, "metadata.json",
          '[{"id":"GCC_train_1","image":"GCC_train_1.jpg","url":"http://x/1.jpg","caption":"c","blip_caption":"b"}]')
    write(out, t, "empty.json", "  [ \r\n\t]  \n")
    write(out, t, "bad_trailing_comma.json", '[{"image":"a.jpg"},]')
    write(out, t, "bad_utf8.json", b'[{"image":"\xff.jpg"}]')
    write(out, t, "bad_literal.json", '[{"image":"a.jpg","x":tru}]')
    write(out, t, "truncated.json", '[{"image":"a.jpg"},{"image":"b')
    write(out, t, "bom.json", b'\xef\xbb\xbf[]')


def zips(out):
    t = "zip"
    Entry, STORED, DEFLATED = mbz.Entry, mbz.STORED, mbz.DEFLATED
    data = [b"hello hello hello hello\n", b"\xff\xd8\xff\xe0tiny jpeg\xff\xd9", b""]
    write(out, t, "stored.zip", mbz.build_zip([Entry(b"a.txt", data[0], STORED), Entry(b"dir/", b"", STORED)]))
    write(out, t, "deflated.zip", mbz.build_zip([Entry(b"a.txt", data[0]), Entry(b"GCC_train_000000001.jpg", data[1])]))
    write(out, t, "zip64.zip", mbz.build_zip([Entry(b"z.txt", data[0], zip64=True)], zip64_end=True))
    write(out, t, "junk_before.zip", mbz.build_zip([Entry(b"a.txt", data[0])], b"#!/bin/sh\nexit 0\n", adjust=False))
    write(out, t, "bad_crc.zip", mbz.build_zip([Entry(b"a.txt", data[0], STORED, crc=1)]))
    write(out, t, "overlap.zip",
          mbz.build_zip([Entry(b"a", data[0], STORED), Entry(b"b", data[0][:8], STORED, at=(0, 31 + 4))]))
    write(out, t, "unsafe_names.zip", mbz.build_zip(
        [Entry(n, b"x", STORED) for n in (b"../evil", b"/abs", b"a\\b", b"C:x", b"a//b", b"\xff\xfe")]))
    write(out, t, "unsupported.zip", mbz.build_zip([Entry(b"a.bz2", data[0], 12, payload=b"BZh9")]))
    write(out, t, "truncated_deflate.zip", mbz.build_zip([Entry(b"a", data[0] * 4, payload=mbz.deflate(data[0] * 4)[:-3])]))
    # zipfile itself: data descriptors (unseekable), a symlink, a comment.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.comment = b"archive comment"
        zf.writestr(mbz.zinfo("link", STORED, mbz.LINK_MODE), b"a.txt")
        zf.writestr(mbz.zinfo("e.txt", DEFLATED), data[0] * 3)
    write(out, t, "symlink_comment.zip", buf.getvalue())
    write(out, t, "descriptor.zip", mbz.zip_bytes([("d.txt", data[0])], unseekable=True))
    write(out, t, "empty.zip", mbz.build_zip([]))
    write(out, t, "not_a_zip.zip", b"PK\x03\x04 but nothing else")


def http(out):
    t = "http_headers"
    write(out, t, "fetch_206.txt",
          "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 100-199/200\r\nContent-Length: 100\r\n"
          "ETag: \"" + "a" * 64 + "\"\r\nContent-Type: application/octet-stream\r\n\r\n")
    write(out, t, "refresh_302.txt",
          "HTTP/2 302\nx-linked-size: 123456789\nx-linked-etag: W/\"" + "0123456789ABCDEF" * 4 + "\"\n"
          "location: https://cdn-lfs.huggingface.co/repos/x?X-Amz=1\n")
    write(out, t, "retry.txt", "Retry-After: 120\nRetry-After: Wed, 21 Oct 2015 07:28:00 GMT\n"
          "Retry-After: Sun, 06 Nov 2094 08:49:37 GMT\nRetry-After: 99999999999999999999\n")
    write(out, t, "urls.txt", "https://huggingface.co/x\nHTTPS://User:pw@HuggingFace.co:443/a?b#c\n"
          "http://[::1]:8080/x\nhttps://huggingface.co#@evil.example/\nhttps://evil.example\\@huggingface.co/\n"
          "ftp://host/\n://nohost\nhttps:///path\n")


def images(out, t):
    """Tiny images of each format --deep walks and decodes (Pillow, Debian python3-pil), whole and cut."""
    from PIL import Image
    im = Image.new("RGB", (8, 6))
    im.putdata([((x * 37) % 256, (y * 53) % 256, (x * y * 11) % 256) for y in range(6) for x in range(8)])
    made = {}
    for name, fmt, kw in [("baseline.jpg", "JPEG", {"quality": 80}),
                          ("progressive.jpg", "JPEG", {"quality": 80, "progressive": True}),
                          ("rgb.png", "PNG", {}), ("interlaced.png", "PNG", {"interlace": 1}),
                          ("palette.gif", "GIF", {}), ("lossy.webp", "WEBP", {"quality": 50}),
                          ("lossless.webp", "WEBP", {"lossless": True}), ("rgb.bmp", "BMP", {})]:
        buf = io.BytesIO()
        im.save(buf, fmt, **kw)
        made[name] = buf.getvalue()
    for name, data in made.items():
        write(out, t, name, data)
        write(out, t, "cut_" + name, data[: len(data) * 2 // 3])
    write(out, t, "padded.jpg", made["baseline.jpg"] + b"\0" * 32 + b"\xff" * 32)
    write(out, t, "page.html", b"<!DOCTYPE html><html><body>404</body></html>\n")


def decode_extra(out, t):
    """More of what --deep=decode follows step by step: CMYK and gray JPEGs, PNG text
    chunks before and after the image data, a 2-bit palette, an APNG (fcTL, fdAT),
    interlaced and animated GIFs, an animated WebP, 4-bit and run-length BMPs."""
    import struct
    import zlib
    from PIL import Image
    im = Image.new("RGB", (8, 6))
    im.putdata([((x * 37) % 256, (y * 53) % 256, (x * y * 11) % 256) for y in range(6) for x in range(8)])

    def enc(img, fmt, **kw):
        buf = io.BytesIO()
        img.save(buf, fmt, **kw)
        return buf.getvalue()

    def chunk(ctype, data):
        return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))

    write(out, t, "cmyk.jpg", enc(im.convert("CMYK"), "JPEG", quality=70))
    write(out, t, "gray.jpg", enc(im.convert("L"), "JPEG", quality=70))
    png = enc(im, "PNG")
    idat = png.index(b"IDAT") - 4
    iend = png.index(b"IEND") - 4
    write(out, t, "text_chunks.png", png[:idat] + chunk(b"tEXt", b"k\0v") + chunk(b"zTXt", b"z\0\0" + zlib.compress(b"text"))
          + png[idat:iend] + chunk(b"iTXt", b"i\0\0\0en\0\0t") + png[iend:])
    write(out, t, "palette_2bit.png", enc(im.quantize(4), "PNG", bits=2))
    write(out, t, "animated.png", enc(im, "PNG", save_all=True, append_images=[im.rotate(180)], duration=50))
    write(out, t, "interlaced.gif", enc(im.resize((8, 20)).quantize(8), "GIF", interlace=True))
    write(out, t, "animated.gif", enc(im.quantize(8), "GIF", save_all=True, append_images=[im.rotate(180).quantize(8)]))
    write(out, t, "animated.webp", enc(im, "WEBP", save_all=True, append_images=[im.rotate(180)], quality=50))
    write(out, t, "palette4.bmp", enc(im.quantize(16), "BMP"))
    palette = b"".join(bytes([i, 255 - i, i, 0]) for i in range(256))
    body = b"".join(b"\x04\x03\x04\x05\x00\x00" for _ in range(6)) + b"\x00\x01"
    info = struct.pack("<IiiHHIIiiII", 40, 8, 6, 1, 8, 1, len(body), 2835, 2835, 256, 0)
    offset = 14 + 40 + len(palette)
    write(out, t, "rle8.bmp", b"BM" + struct.pack("<IHHI", offset + len(body), 0, 0, offset) + info + palette + body)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
    manifests_text(out)
    manifests_hashdeep(out)
    manifests_json(out)
    records(out, "records")
    records(out, "rewrite")
    zips(out)
    http(out)
    images(out, "image_check")
    images(out, "image_decode")
    decode_extra(out, "image_decode")


if __name__ == "__main__":
    main()
