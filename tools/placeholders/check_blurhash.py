"""Compares our BlurHash (the vectors `cargo run --example placeholder_vectors` writes)
with BlurHash's pure-Python implementation (`blurhash` on PyPI) on the same pixels.

Passes only when the hash is exactly the reference's (TOLERANCE 0): every vector is.
A tolerance of one quantisation step per field (the maximum AC value, each DC channel,
each channel of each AC value), which float rounding could need on other pixels, would
have hidden the blurhash crate's DC rounding (one level too bright), so it stays off
while it is not needed; the field reader says which fields differ when one does. Each
vector is also checked with a wrong answer (the next vector's hash, and the reference's
hash of the inverted image at 4x3), which must fail. (Decoded pixels are no measure:
near black one step of the DC moves a decoded pixel by more than ten levels.)

usage: python check_blurhash.py <vector dir>
"""
import json
import os
import sys

import blurhash

TOLERANCE = 0  # quantisation steps, per field
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"


def rows(rgba, width, height):
    """The image as the reference takes it: rows of [r, g, b] (alpha is not used)."""
    return [
        [list(rgba[(y * width + x) * 4:(y * width + x) * 4 + 3]) for x in range(width)]
        for y in range(height)
    ]


def number(text):
    value = 0
    for c in text:
        value = value * 83 + ALPHABET.index(c)
    return value


def fields(hash_):
    """(size flag, [quantised values]) of a BlurHash (its Algorithm.md layout)."""
    if len(hash_) < 6 or any(c not in ALPHABET for c in hash_):
        return None
    dc = number(hash_[2:6])
    steps = [number(hash_[1]), dc >> 16, (dc >> 8) & 255, dc & 255]
    for i in range(6, len(hash_) - 1, 2):
        ac = number(hash_[i:i + 2])
        steps += [ac // 361, (ac // 19) % 19, ac % 19]
    return (hash_[0], len(hash_)), steps


def agree(ours, theirs):
    if ours == theirs:
        return "exact"
    a, b = fields(ours), fields(theirs)
    if a is None or b is None or a[0] != b[0]:
        return None
    worst = max(abs(x - y) for x, y in zip(a[1], b[1]))
    return "near" if worst <= TOLERANCE else None


def differing(ours, theirs):
    """Which quantised fields differ, for the failure message."""
    a, b = fields(ours), fields(theirs)
    if a is None or b is None or a[0] != b[0]:
        return "the size flag or length"
    return ", ".join(f"field {i}: {x} vs {y}" for i, (x, y) in enumerate(zip(a[1], b[1])) if x != y)


def main(directory):
    with open(os.path.join(directory, "manifest.json")) as f:
        vectors = json.load(f)
    passed = failed = exact = near = 0
    for index, vector in enumerate(vectors):
        with open(os.path.join(directory, vector["rgba"]), "rb") as f:
            rgba = f.read()
        width, height = vector["width"], vector["height"]
        image = rows(rgba, width, height)
        following = vectors[(index + 1) % len(vectors)]
        for k, entry in enumerate(vector["blurhash"]):
            x, y, ours = entry["x"], entry["y"], entry["hash"]
            theirs = blurhash.encode(image, x, y)
            verdict = agree(ours, theirs)
            label = f"{vector['name']} {x}x{y}"
            if verdict is None:
                failed += 1
                print(f"FAIL blurhash {label}: ours {ours}, reference {theirs} ({differing(ours, theirs)})", file=sys.stderr)
                continue
            passed += 1
            exact += verdict == "exact"
            near += verdict == "near"
            wrongs = [("next vector", following["blurhash"][k]["hash"])]
            if (x, y) == (4, 3):
                inverted = [[[255 - c for c in pixel] for pixel in row] for row in image]
                wrongs.append(("inverted image", blurhash.encode(inverted, x, y)))
            for what, wrong in wrongs:
                if agree(wrong, theirs) is not None:
                    failed += 1
                    print(f"FAIL blurhash {label}: the wrong answer ({what}) {wrong} passes", file=sys.stderr)
                else:
                    passed += 1
    print(f"blurhash (Python reference): {exact} exact, {near} within {TOLERANCE} steps", file=sys.stderr)
    print(f"placeholders (Python reference): {passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
