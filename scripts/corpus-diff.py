#!/usr/bin/env python3
"""Show, message by message, what the parser read where it differs from the labels.

The scorer (../shared/corpus/score.py) gives figures and post counts; this prints both sides
of every message whose posts are not all exact (direction, kind, mode, item, category, when),
so a miss can be traced to a construction rather than guessed at.

  scripts/corpus-diff.py CORPUS.jsonl [--run "target/debug/voisinage parse"] [--scorer-dir DIR]
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("corpus")
ap.add_argument("--run", default=os.path.join(HERE, "..", "target", "debug", "voisinage") + " parse")
ap.add_argument("--scorer-dir", default=os.path.join(HERE, "..", "..", "shared", "corpus"))
args = ap.parse_args()
sys.path.insert(0, args.scorer_dir)
import score  # noqa: E402  (the corpus's own alignment, so "exact" means what the scorer means)

with open(args.corpus, encoding="utf-8") as f:
    lines = [line for line in f if line.strip()]
out = subprocess.run(args.run, shell=True, input="".join(lines), capture_output=True, text=True, check=True)
preds = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def short(p):
    when = p.get("when") or None
    w = f" {when['from']}..{when['to']}" if when else ""
    item = p["item"] if isinstance(p["item"], str) else "|".join(p["item"])
    cat = p["category"] if isinstance(p["category"], str) else "|".join(p["category"])
    return f"{p['direction'][:3]} {p['kind'][:4]} {p.get('mode')} [{item}] {cat}{w}"


def exact(p, e):
    when = p.get("when") or None
    ew = e.get("when")
    return (p.get("kind") == e["kind"] and p.get("mode") == e["mode"]
            and p.get("category") in e["category"] and (when or None) == (ew or None))


shown = 0
for line, pred in zip(lines, preds):
    msg = json.loads(line)
    ps, es = pred.get("posts", []), msg["expect"]
    pairs = score.align(ps, es)
    if len(pairs) == len(ps) == len(es) and all(exact(ps[j], es[i]) for j, i in pairs):
        continue
    shown += 1
    print(f"{msg['id']} {msg['sent_at'][:10]}: {msg['text']}")
    for e in es:
        print(f"   want {short(e)}")
    for p in ps:
        print(f"   got  {short(p)}")
print(f"{shown} of {len(lines)} messages differ", file=sys.stderr)
