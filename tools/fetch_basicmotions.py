"""Copies BasicMotions (UEA/UCR multivariate archive) out of the aeon wheel into data/basicmotions/.

The .ts files are taken byte for byte from `aeon/datasets/data/BasicMotions/` in aeon 1.6.0
(PyPI, BSD-3-Clause) and checked against the SHA-256 sums below. Needs network access to PyPI
(pip download); CI never runs it: the files are committed.

Run: python3 tools/fetch_basicmotions.py
"""
import hashlib
import pathlib
import subprocess
import sys
import tempfile
import zipfile

VERSION = "1.6.0"
FILES = (
    "BasicMotions_TRAIN.ts",
    "BasicMotions_TEST.ts",
)
SUMS = pathlib.Path(__file__).resolve().parent.parent / "data" / "basicmotions" / "SHA256SUMS"


def main() -> int:
    out = SUMS.parent
    out.mkdir(parents=True, exist_ok=True)
    expected = {}
    if SUMS.exists():
        for line in SUMS.read_text().splitlines():
            digest, name = line.split()
            expected[name] = digest
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", f"aeon=={VERSION}", "--no-deps", "-d", tmp, "-q"],
            check=True,
        )
        wheel = next(pathlib.Path(tmp).glob("aeon-*.whl"))
        with zipfile.ZipFile(wheel) as z:
            lines = []
            for name in FILES:
                data = z.read(f"aeon/datasets/data/BasicMotions/{name}")
                digest = hashlib.sha256(data).hexdigest()
                if name in expected and expected[name] != digest:
                    print(f"{name}: SHA-256 {digest}, expected {expected[name]}", file=sys.stderr)
                    return 1
                (out / name).write_bytes(data)
                lines.append(f"{digest}  {name}")
                print(f"wrote {out / name} ({len(data)} bytes, sha256 {digest})")
    SUMS.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
