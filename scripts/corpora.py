"""What the learning scripts share: the corpora they learn from and running the parser on one.

scripts/learn-confidence.py and scripts/learn-recall.py learn from the same corpora and never
from train2-blind.jsonl or holdout24 and later (holdout24…27 choose the second reader's
threshold; holdout28 and later, with train2-blind, stay the blind check).
"""
import json
import os
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DATA = os.path.join(ROOT, "tests", "data")
SHARED = os.path.join(ROOT, "..", "shared", "corpus")
LEARN_FROM = (
    [os.path.join(SHARED, "dev.jsonl"),
     os.path.join(ROOT, "target", "corpus", "train2-learn.jsonl"),
     os.path.join(DATA, "holdout.jsonl")]
    + [os.path.join(DATA, f"holdout{i}.jsonl") for i in range(2, 24)]
)


def run_parser(path, run):
    """The corpus at `path` and the parser command `run`'s output line for each message."""
    raw = open(path, encoding="utf-8").read()
    corpus = [json.loads(l) for l in raw.splitlines() if l.strip()]
    out = subprocess.run(run, shell=True, input=raw.encode(), capture_output=True, timeout=600)
    if out.returncode != 0:
        sys.exit(f"{path}: `{run}` exited with {out.returncode}: {out.stderr.decode()[-500:]}")
    preds = [json.loads(l) for l in out.stdout.decode().splitlines() if l.strip()]
    if len(preds) != len(corpus):
        sys.exit(f"{path}: {len(preds)} output lines for {len(corpus)} messages")
    return corpus, preds
