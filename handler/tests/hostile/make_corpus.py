#!/usr/bin/env python3
"""Writes the hostile image corpus (handler/tests/hostile/images/) from images committed
in this repository, deterministically. The files are committed; rerun after changing
this script: python3 handler/tests/hostile/make_corpus.py

Each file is a way an image can lie or break: truncated, corrupt, or declaring a size
(or frame count) that would take gigabytes to decode.
"""
import os
import random
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
OUT = os.path.join(HERE, "images")
rng = random.Random(7)


def read(rel):
    with open(os.path.join(ROOT, rel), "rb") as f:
        return f.read()


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width, height, idat, colour_type=2, bit_depth=8, end=True):
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    body = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat)
    return body + (chunk(b"IEND", b"") if end else b"")


def patch_jpeg_size(data, width, height):
    """Rewrites the frame header (SOF0-SOF2) dimensions."""
    i = 2
    while i < len(data):
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            return data[:i + 5] + struct.pack(">HH", height, width) + data[i + 9:]
        i += 2 + length
    raise ValueError("no SOF marker")


def gif(width, height, frames, screen=None):
    sw, sh = screen or (width, height)
    out = bytearray(b"GIF89a" + struct.pack("<HHBBB", sw, sh, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff")
    out += b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    for i in range(frames):
        out += b"\x21\xf9\x04\x04\x02\x00\x00\x00"  # graphic control: 20 ms
        out += b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0)
        out += b"\x02\x02\x44\x01\x00"  # LZW min code 2, one data block: one pixel
    out += b"\x3b"
    return bytes(out)


def tiff(width, height):
    entries = [(256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 8), (259, 3, 1, 1),
               (262, 3, 1, 1), (273, 4, 1, 8), (277, 3, 1, 1), (278, 4, 1, height), (279, 4, 1, 16)]
    ifd = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        ifd += struct.pack("<HHII", tag, kind, count, value)
    ifd += struct.pack("<I", 0)
    return b"II*\x00" + struct.pack("<I", 8 + 16) + b"\x00" * 16 + ifd


def flip_bytes(data, start_fraction, count):
    b = bytearray(data)
    start = int(len(b) * start_fraction)
    for i in range(count):
        b[start + i * 7 % (len(b) - start)] ^= 0xFF
    return bytes(b)


def main():
    os.makedirs(OUT, exist_ok=True)
    jpg = read("assets/samples/progressive_3.jpg")
    bug = read("assets/samples/blackbug.png")
    squares = read("assets/samples/rotating-squares.gif")
    webp = read("handler/tests/fixtures/sharp/webp-q80.webp")
    avif = read("handler/tests/fixtures/sharp/avif-q50.avif")

    write("jpeg-truncated-header.jpg", jpg[:200])
    write("jpeg-truncated-body.jpg", jpg[: len(jpg) * 2 // 5])
    write("jpeg-huge-dimensions.jpg", patch_jpeg_size(jpg, 65500, 65500))
    write("jpeg-zero-dimensions.jpg", patch_jpeg_size(jpg, 0, 0))
    write("jpeg-corrupt-scan.jpg", flip_bytes(jpg, 0.5, 400))
    write("jpeg-soi-then-noise.jpg", b"\xff\xd8\xff" + bytes(rng.getrandbits(8) for _ in range(4000)))

    zeros = zlib.compress(b"\x00" * (1 << 20), 9)
    write("png-bomb-50000x50000.png", png(50000, 50000, zeros, end=False))
    write("png-width-2147483647.png", png(2147483647, 1, zeros))
    write("png-truncated.png", bug[: len(bug) * 3 // 10])
    bad_crc = bytearray(bug)
    bad_crc[29] ^= 0xFF  # IHDR CRC
    write("png-bad-ihdr-crc.png", bytes(bad_crc))
    write("png-corrupt-idat.png", flip_bytes(bug, 0.4, 300))

    write("gif-5000-frames.gif", gif(1, 1, 5000))
    write("gif-screen-65535x65535.gif", gif(1, 1, 1, screen=(65535, 65535)))
    write("gif-truncated.gif", squares[: len(squares) // 2])

    write("webp-truncated.webp", webp[: len(webp) * 3 // 10])
    riff = bytearray(webp)
    riff[4:8] = struct.pack("<I", 0xFFFFFFF0)
    write("webp-riff-size-lies.webp", bytes(riff))
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00" + (16383).to_bytes(3, "little") + (16383).to_bytes(3, "little")
    write("webp-canvas-16384x16384.webp", b"RIFF" + struct.pack("<I", 4 + len(vp8x)) + b"WEBP" + vp8x)

    write("avif-truncated.avif", avif[: len(avif) * 4 // 10])
    write("avif-corrupt-payload.avif", flip_bytes(avif, 0.6, 200))

    write("tiff-100000x100000.tif", tiff(100000, 100000))
    write("empty.jpg", b"")
    write("noise.png", bytes(rng.getrandbits(8) for _ in range(2048)))


if __name__ == "__main__":
    main()
