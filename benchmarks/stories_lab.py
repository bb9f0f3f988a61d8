"""MinHash LSH or SimHash for near-identical sentences? Measured against the exact answer.

    .venv/bin/python benchmarks/stories_lab.py --articles 1500

The eligible sentences (``index.stories.fingerprint.MIN_WORDS`` words or more) of the first N
SaudiNewsNet articles; the truth is every pair of sentences of different articles that
:func:`index.stories.fingerprint.near_identical` accepts (word-set Jaccard ≥ 0.7, or ≥ 0.9 of the
shorter one's words in the longer), found exhaustively with a sparse product of the word-incidence
matrix. Each method proposes candidate pairs; we count the truth it finds (recall) and the
candidates it makes the verifier read (cost), and time the signatures.

* MinHash (datasketch ``MinHash.bulk`` over the word set) cut into b bands of r rows: a pair is a
  candidate when one band agrees (what :mod:`index.stories` does, b=16, r=4, 64 permutations).
* SimHash over the words (64 bits; each word's blake2b bits vote): a candidate within Hamming
  distance k (all pairs compared here; an index would need k+1 tables).

Prints a table and writes JSON (default benchmarks/results/stories_lab.json).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retrieval_lab import SHARED, table  # noqa: E402

from index.documents import Article  # noqa: E402
from index.readers import read_paths  # noqa: E402
from index.stories.fingerprint import (  # noqa: E402
    NEAR_CONTAINED,
    NEAR_CONTAINED_MIN_WORDS,
    NEAR_JACCARD,
    sentence_prints,
)

Pairs = set[tuple[int, int]]


def sentences(n: int) -> tuple[list[list[str]], NDArray[np.int64]]:
    words: list[list[str]] = []
    owner: list[int] = []
    seen = 0
    for item in read_paths([SHARED / "data/news/saudinewsnet"], max_bytes=20_000_000, max_article_chars=500_000):
        if not isinstance(item, Article):
            continue
        for p in sentence_prints(item):
            if p.eligible:
                words.append(sorted(set(p.key.split(" "))))
                owner.append(seen)
        seen += 1
        if seen >= n:
            break
    return words, np.array(owner)


def truth(words: list[list[str]], owner: NDArray[np.int64]) -> Pairs:
    from scipy.sparse import csr_matrix

    vocab: dict[str, int] = {}
    rows, cols = [], []
    for i, ws in enumerate(words):
        for w in ws:
            rows.append(i)
            cols.append(vocab.setdefault(w, len(vocab)))
    x = csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(words), len(vocab)))
    size = np.array([len(ws) for ws in words], dtype=np.float32)
    out: Pairs = set()
    step = 1000
    for a in range(0, len(words), step):
        inter = (x[a : a + step] @ x.T).toarray()
        sa = size[a : a + step, None]
        jac = inter / (sa + size[None, :] - inter)
        small = np.minimum(sa, size[None, :])
        ok = (jac >= NEAR_JACCARD) | ((small >= NEAR_CONTAINED_MIN_WORDS) & (inter / small >= NEAR_CONTAINED))
        ii, jj = np.nonzero(ok)
        for i, j in zip((ii + a).tolist(), jj.tolist(), strict=True):
            if i < j and owner[i] != owner[j]:
                out.add((i, j))
    return out


def minhash(words: list[list[str]], perms: int, bands: int) -> tuple[float, Pairs]:
    from datasketch import MinHash

    t0 = time.perf_counter()
    sig = np.vstack([m.hashvalues for m in MinHash.bulk([[w.encode() for w in ws] for ws in words], num_perm=perms)])
    seconds = time.perf_counter() - t0
    rows = perms // bands
    buckets: dict[tuple[int, bytes], list[int]] = {}
    for i in range(len(words)):
        for b in range(bands):
            buckets.setdefault((b, sig[i, b * rows : (b + 1) * rows].tobytes()), []).append(i)
    cand: Pairs = set()
    for members in buckets.values():
        if 1 < len(members) <= 500:
            cand.update((members[x], members[y]) for x in range(len(members)) for y in range(x + 1, len(members)))
    return seconds, cand


def simhash(words: list[list[str]]) -> tuple[float, NDArray[np.uint64]]:
    t0 = time.perf_counter()
    cache: dict[str, NDArray[np.float32]] = {}
    bits = 1 << np.arange(64, dtype=np.uint64)
    out = np.zeros(len(words), dtype=np.uint64)
    for i, ws in enumerate(words):
        votes = np.zeros(64, dtype=np.float32)
        for w in ws:
            v = cache.get(w)
            if v is None:
                h = np.uint64(int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "little"))
                v = np.where((h & bits) != 0, 1.0, -1.0).astype(np.float32)
                cache[w] = v
            votes += v
        out[i] = np.bitwise_or.reduce(np.where(votes > 0, bits, np.uint64(0)))
    return time.perf_counter() - t0, out


def hamming_pairs(sig: NDArray[np.uint64], k: int) -> Pairs:
    out: Pairs = set()
    for i in range(len(sig)):
        d = np.bitwise_count(sig[i + 1 :] ^ sig[i])
        out.update((i, i + 1 + int(j)) for j in np.nonzero(d <= k)[0])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=1500)
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks/results/stories_lab.json")
    args = ap.parse_args()
    words, owner = sentences(args.articles)
    gold = truth(words, owner)
    rows: list[dict[str, Any]] = []

    def score(name: str, seconds: float, cand: Pairs) -> None:
        cand = {(i, j) for i, j in cand if owner[i] != owner[j]}
        found = len(cand & gold)
        rows.append(
            {
                "method": name,
                "signature_s": round(seconds, 2),
                "candidates": len(cand),
                "true_found": found,
                "recall": round(found / len(gold), 4) if gold else None,
                "candidates_per_true": round(len(cand) / max(1, found), 1),
            }
        )

    for perms, bands in ((64, 16), (64, 8), (128, 32), (32, 8)):
        seconds, cand = minhash(words, perms, bands)
        score(f"MinHash {perms} perms, {bands}×{perms // bands}", seconds, cand)
    seconds, sig = simhash(words)
    for k in (3, 6, 10, 14):
        score(f"SimHash 64 bits, Hamming ≤ {k}", seconds, hamming_pairs(sig, k))
    print(f"{len(words)} eligible sentences of {args.articles} articles; {len(gold)} near-identical pairs (exact)")
    table("candidates against the exact near-identical pairs", list(rows[0]), [list(r.values()) for r in rows])
    args.json.parent.mkdir(parents=True, exist_ok=True)
    result = {"articles": args.articles, "sentences": len(words), "true_pairs": len(gold), "methods": rows}
    args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
