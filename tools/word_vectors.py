"""Word vectors in the GloVe text format for `nowcast train --task text --embeddings`, made
offline: a PPMI-SVD (positive pointwise mutual information of co-occurrences within 5 words,
context counts smoothed with the 0.75 power, then a truncated SVD, U_k · sqrt(S_k)) over the Lee
news corpus (`gensim/test/test_data/lee_background.cor`: 300 Australian news articles, about
60,000 words) as shipped in the gensim 4.4.0 wheel on PyPI (package license LGPL-2.1).
Tokens are standardized like nowcast's tokenizer (ASCII lowercase, ASCII punctuation removed,
whitespace split). Words seen at least twice get a vector.

Needs network access to PyPI and numpy; the vectors are not committed (CI does not need them).
Run: python3 tools/word_vectors.py [OUT.txt] [DIM]   (default out/word_vectors/lee_50d.txt, 50)
"""
import pathlib
import string
import subprocess
import sys
import tempfile
import zipfile

import numpy as np

VERSION = "4.4.0"
MEMBER = "gensim/test/test_data/lee_background.cor"
WINDOW = 5
MIN_COUNT = 2
STRIP = str.maketrans("", "", string.punctuation)


def standardize(text: str) -> list[str]:
    lowered = "".join(c.lower() if c.isascii() else c for c in text)
    return lowered.translate(STRIP).split()


def main() -> int:
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "out/word_vectors/lee_50d.txt")
    dim = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", f"gensim=={VERSION}", "--no-deps", "-d", tmp, "-q"],
            check=True,
        )
        wheel = next(pathlib.Path(tmp).glob("gensim-*.whl"))
        with zipfile.ZipFile(wheel) as z:
            corpus = z.read(MEMBER).decode("utf-8")
    docs = [standardize(line) for line in corpus.splitlines() if line.strip()]
    counts: dict[str, int] = {}
    for d in docs:
        for w in d:
            counts[w] = counts.get(w, 0) + 1
    words = sorted((w for w, c in counts.items() if c >= MIN_COUNT), key=lambda w: (-counts[w], w))
    index = {w: i for i, w in enumerate(words)}
    n = len(words)
    co = np.zeros((n, n))
    for d in docs:
        ids = [index.get(w) for w in d]
        for i, a in enumerate(ids):
            if a is None:
                continue
            for j in range(max(0, i - WINDOW), min(len(ids), i + WINDOW + 1)):
                b = ids[j]
                if j != i and b is not None:
                    co[a, b] += 1.0 / abs(i - j)
    total = co.sum()
    row = co.sum(axis=1, keepdims=True)
    ctx = co.sum(axis=0, keepdims=True) ** 0.75
    ctx = ctx / ctx.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log((co / total) / ((row / total) * ctx))
    ppmi = np.where(np.isfinite(pmi) & (pmi > 0), pmi, 0.0)
    u, s, _ = np.linalg.svd(ppmi, full_matrices=False)
    vectors = u[:, :dim] * np.sqrt(s[:dim])
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w") as f:
        for w, v in zip(words, vectors):
            f.write(w + " " + " ".join(f"{x:.5f}" for x in v) + "\n")
    print(f"wrote {out}: {n} words, {dim} values each, from {sum(map(len, docs))} tokens")
    return 0


if __name__ == "__main__":
    sys.exit(main())
