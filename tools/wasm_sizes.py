"""Code bytes of a wasm module by the crate each function comes from, read from its name section
(the `ci-web` build keeps symbols): `python3 tools/wasm_sizes.py dist/build-*/app-*_bg.wasm [rows]`."""
import re, sys, collections

def leb(b, i):
    r = s = 0
    while True:
        x = b[i]; i += 1
        r |= (x & 0x7f) << s; s += 7
        if x < 0x80: return r, i

data = open(sys.argv[1], "rb").read()
i = 8; imports = 0; bodies = []; names = {}
while i < len(data):
    sid = data[i]; i += 1
    size, i = leb(data, i); end = i + size
    if sid == 2:  # imports: count function imports
        n, j = leb(data, i)
        for _ in range(n):
            l, j = leb(data, j); j += l
            l, j = leb(data, j); j += l
            kind = data[j]; j += 1
            if kind == 0: _, j = leb(data, j); imports += 1
            elif kind == 1: j += 1; fl = data[j]; j += 1; _, j = leb(data, j); j = leb(data, j)[1] if fl & 1 else j
            elif kind == 2: fl = data[j]; j += 1; _, j = leb(data, j); j = leb(data, j)[1] if fl & 1 else j
            elif kind == 3: j += 2
    elif sid == 10:
        n, j = leb(data, i)
        for _ in range(n):
            l, j = leb(data, j); bodies.append(l); j += l
    elif sid == 0:
        l, j = leb(data, i); name = data[j:j + l].decode(errors="replace"); j += l
        if name == "name":
            while j < end:
                sub = data[j]; j += 1
                sl, j = leb(data, j); se = j + sl
                if sub == 1:
                    n, j = leb(data, j)
                    for _ in range(n):
                        idx, j = leb(data, j); l, j = leb(data, j)
                        names[idx] = data[j:j + l].decode(errors="replace"); j += l
                j = se
    i = end

def crate(name):
    m = re.match(r"_ZN(\d+)", name)
    if m:
        n = int(m.group(1)); rest = name[len(m.group(0)):]
        c = rest[:n]
        if c.startswith("_$LT$"):
            inner = re.search(r"_\$LT\$(?:\$RF\$)?(?:mut\$u20\$)?([a-z_0-9]+)", rest)
            c = "<" + (inner.group(1) if inner else "?") + ">"
        return c
    return name.split("::")[0][:30] if "::" in name else "(other)"

total = sum(bodies); by = collections.Counter()
for k, size in enumerate(bodies):
    by[crate(names.get(imports + k, ""))] += size
print(f"{sys.argv[1]}: {len(bodies)} functions, {total/1e6:.2f} MB of code")
for c, size in by.most_common(int(sys.argv[2]) if len(sys.argv) > 2 else 15):
    print(f"  {size/total*100:5.1f}%  {size/1e6:6.2f} MB  {c}")
