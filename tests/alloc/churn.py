"""churn.py — makes CPython allocate hard (dicts, lists, strings, bytes, tuples, sets) and
prints a digest of what it computed. real_programs.sh runs it with and without
LD_PRELOAD=libgort.so (PYTHONMALLOC=malloc, so every object goes through malloc) and the two
outputs must be identical."""
import hashlib
import json
import random

rng = random.Random(20240601)
digest = hashlib.sha256()


POOL = "".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=1 << 16))


def word(n):
    i = rng.getrandbits(15)
    return POOL[i:i + n]


def feed(obj):
    digest.update(json.dumps(obj, sort_keys=True).encode())


# Dicts that grow, shrink and are rebuilt; values of every size, some of them large.
table = {}
for step in range(25000):
    k = word(rng.randint(1, 12))
    r = rng.random()
    if r < 0.6:
        table[k] = word(rng.randint(0, 40)) * rng.choice([1, 1, 1, 10, 300])
    elif r < 0.998:
        table.pop(k, None)
    else:
        table = {key: val[::-1] for key, val in table.items() if len(val) % 3}
feed(sorted((k, len(v)) for k, v in table.items())[:2000])

# Lists of tuples, sorted and sliced; nested lists freed out of order.
rows = [(rng.randint(0, 10**9), word(rng.randint(1, 20)), rng.random()) for _ in range(30000)]
rows.sort()
feed([r[:2] for r in rows[::97]])
nests = [[list(range(rng.randint(0, 500))) for _ in range(rng.randint(1, 30))] for _ in range(500)]
rng.shuffle(nests)
feed([sum(map(len, n)) for n in nests])
del nests

# Strings: joins, splits, replaces, formatting; bytes and bytearrays that grow.
text = " ".join(word(rng.randint(1, 9)) for _ in range(60000))
parts = text.split(" ")
feed([len(parts), len(set(parts)), text.count("ab"), text.replace("a", "AA")[:5000]])
buf = bytearray()
for i in range(12000):
    buf += word(rng.randint(0, 64)).encode()
    if i % 1000 == 0:
        buf = buf[len(buf) // 3:]
feed(hashlib.sha256(bytes(buf)).hexdigest())
feed([f"{i:08x}-{s}" for i, s in enumerate(parts[:3000])])

# Sets and frozensets built and intersected.
sets = [frozenset(rng.sample(range(5000), rng.randint(0, 300))) for _ in range(2000)]
acc = set()
for s in sets:
    acc ^= s
feed(sorted(acc))

print("words", len(parts), "table", len(table), "rows", len(rows))
print("digest", digest.hexdigest())
