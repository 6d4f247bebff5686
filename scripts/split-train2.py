#!/usr/bin/env python3
"""Split ../shared/corpus/train2.jsonl into a part to learn from and a blind third.

The blind third is drawn with a fixed seed before anyone reads train2.jsonl, so that its
figures say how the parser does on writers it was not tuned on. Nobody reads the blind file;
only its score is reported (scripts/score-corpora.sh prints it beside the others).

  scripts/split-train2.py [CORPUS_DIR] [OUT_DIR]    # defaults: ../shared/corpus, target/corpus
"""
import json
import os
import random
import sys

SEED = 20261204
HERE = os.path.dirname(os.path.abspath(__file__))
corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "shared", "corpus")
out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "..", "target", "corpus")

with open(os.path.join(corpus, "train2.jsonl"), encoding="utf-8") as f:
    lines = [line for line in f if line.strip()]
ids = [json.loads(line)["id"] for line in lines]
blind = set(random.Random(SEED).sample(sorted(ids), len(ids) // 3))

os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "train2-learn.jsonl"), "w", encoding="utf-8") as learn, \
        open(os.path.join(out, "train2-blind.jsonl"), "w", encoding="utf-8") as hidden:
    for line, id_ in zip(lines, ids):
        (hidden if id_ in blind else learn).write(line)
print(f"train2: {len(lines) - len(blind)} to learn from, {len(blind)} blind (seed {SEED}) in {out}")
