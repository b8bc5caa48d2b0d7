#!/usr/bin/env python3
"""Which functions the page's *gzip* bytes go to (issue 8 measures gzip -9, twiggy counts raw).

    scripts/size_gzip.py WASM [REGEX] [N]

Reads a wasm with a names section (scripts/size.sh writes target/size/named.wasm), deflates
its code section function by function in file order (zlib level 9, a sync flush after each
function) and gives each function the compressed bytes it added. Groups by name without
the `::h<hash>` suffix (so the 29 `CompStateInner<COMP>::view` instances add up) and prints
the N largest groups: gzip bytes, raw bytes, count, name. With REGEX: every function whose
name matches, one per line, instead.

Why: code that repeats (an `html!` element, a `classes!`) compresses several times better
than code that does not, so raw sizes mislead about what a cut saves; e.g. the 29 views'
224 KB raw are about 80 KB here. The sum is a little above the code's share of
`gzip -9` of the whole file (each flush costs a few bytes) and a function's number depends
on what precedes it, so compare builds, not single functions to the byte.
"""
import collections
import re
import sys
import zlib


def leb(b, i):
    r = s = 0
    while True:
        x = b[i]
        i += 1
        r |= (x & 0x7F) << s
        s += 7
        if x < 0x80:
            return r, i


def name_at(b, i):
    n, i = leb(b, i)
    return b[i:i + n].decode("utf8", "replace"), i + n


def limits(b, j):
    flags = b[j]
    _, j = leb(b, j + 1)
    return leb(b, j)[1] if flags & 1 else j


def read(path):
    """(imported function count, code bodies, function index -> name)."""
    b = open(path, "rb").read()
    i, imported, bodies, names = 8, 0, [], {}
    while i < len(b):
        sid = b[i]
        size, i = leb(b, i + 1)
        end = i + size
        if sid == 2:  # imports: count the functions, skip the rest
            n, j = leb(b, i)
            for _ in range(n):
                _, j = name_at(b, j)
                _, j = name_at(b, j)
                kind, j = b[j], j + 1
                if kind == 0:
                    _, j = leb(b, j)
                    imported += 1
                elif kind == 1:
                    j = limits(b, j + 1)
                elif kind == 2:
                    j = limits(b, j)
                elif kind == 3:
                    j += 2
                else:
                    _, j = leb(b, j + 1)
        elif sid == 10:  # code
            n, j = leb(b, i)
            for _ in range(n):
                s, j = leb(b, j)
                bodies.append(b[j:j + s])
                j += s
        elif sid == 0:
            nm, j = name_at(b, i)
            if nm == "name":
                while j < end:
                    sub = b[j]
                    ssz, j = leb(b, j + 1)
                    if sub == 1:
                        n, k = leb(b, j)
                        for _ in range(n):
                            idx, k = leb(b, k)
                            names[idx], k = name_at(b, k)
                    j += ssz
        i = end
    return imported, bodies, names


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    imported, bodies, names = read(sys.argv[1])
    pattern = re.compile(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2] else None
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 15
    z = zlib.compressobj(9, zlib.DEFLATED, -15, 9)
    rows = []
    for k, body in enumerate(bodies):
        gz = len(z.compress(body)) + len(z.flush(zlib.Z_SYNC_FLUSH))
        rows.append((gz, len(body), names.get(imported + k, f"code[{k}]")))
    total = sum(r[0] for r in rows)
    print(f"code: {len(rows)} functions, raw {sum(r[1] for r in rows)} B, deflated one by one {total} B")
    if pattern:
        for gz, raw, name in sorted((r for r in rows if pattern.search(r[2])), reverse=True):
            print(f"{gz:>8} {raw:>8}  {name}")
        return
    gz_of, raw_of, count = collections.Counter(), collections.Counter(), collections.Counter()
    for gz, raw, name in rows:
        key = re.sub(r"::h[0-9a-f]{16}$", "", name)
        gz_of[key] += gz
        raw_of[key] += raw
        count[key] += 1
    print(f"{'gzip':>8} {'raw':>8} {'n':>4}  function (instances summed)")
    for key, gz in gz_of.most_common(top):
        print(f"{gz:>8} {raw_of[key]:>8} {count[key]:>4}  {key[:150]}")


if __name__ == "__main__":
    main()
