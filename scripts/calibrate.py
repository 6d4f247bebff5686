#!/usr/bin/env python3
"""Calibration of the parser's confidence: precision of its posts per confidence bucket.

A predicted post is right when the corpus's own scorer (../shared/corpus/score.py) pairs it
with an expected post: same direction and an item that matches (its `align` and
`item_matches`). Prints a table of buckets and the precision of the posts at or above the
"sure" threshold (parse::SURE_CONFIDENCE).

  scripts/calibrate.py --run "target/release/voisinage parse" CORPUS.jsonl [CORPUS.jsonl …]
      [--sure 0.8] [--min-precision 0.95] [--scorer-dir ../shared/corpus]

Exit status 1 when the precision at the threshold falls under --min-precision.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BUCKETS = [0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpora", nargs="+")
    ap.add_argument("--run", required=True, help="command that reads a corpus on stdin (voisinage parse)")
    ap.add_argument("--sure", type=float, default=0.8)
    ap.add_argument("--min-precision", type=float, default=0.0)
    ap.add_argument("--scorer-dir", default=os.path.join(HERE, "..", "..", "shared", "corpus"))
    a = ap.parse_args()
    sys.path.insert(0, a.scorer_dir)
    from score import align  # the scorer's own pairing of predicted and expected posts

    rows = []  # (confidence, right)
    for path in a.corpora:
        raw = open(path, encoding="utf-8").read()
        corpus = [json.loads(l) for l in raw.splitlines() if l.strip()]
        out = subprocess.run(a.run, shell=True, input=raw.encode(), capture_output=True, timeout=600)
        if out.returncode != 0:
            sys.stderr.write(out.stderr.decode(errors="replace")[-2000:])
            print(f"{path}: the command exited with {out.returncode}")
            return 1
        preds = [json.loads(l) for l in out.stdout.decode().splitlines() if l.strip()]
        if len(preds) != len(corpus):
            print(f"{path}: {len(preds)} output lines for {len(corpus)} corpus lines")
            return 1
        for rec, pred in zip(corpus, preds):
            posts = [p for p in pred.get("posts") or [] if isinstance(p, dict)]
            paired = {j for j, _ in align(posts, rec["expect"])}
            rows.extend((float(p.get("confidence", 0.0)), j in paired) for j, p in enumerate(posts))

    print(f"{'confidence':<12}{'posts':>7}{'right':>7}{'precision':>11}")
    for lo, hi in zip(BUCKETS, BUCKETS[1:]):
        b = [r for c, r in rows if lo <= c < hi]
        prec = f"{sum(b) / len(b):.3f}" if b else "-"
        print(f"[{lo:.1f}, {min(hi, 1.0):.1f}{')' if hi <= 1 else ']'}{'':<2}{len(b):>7}{sum(b):>7}{prec:>11}")
    sure = [r for c, r in rows if c >= a.sure - 1e-6]
    total = sum(r for _, r in rows)
    precision = sum(sure) / len(sure) if sure else 1.0
    print(f"sure (>= {a.sure}): {len(sure)} of {len(rows)} posts, precision {precision:.4f}, "
          f"{sum(sure)} of {total} right posts ({sum(sure) / total if total else 0:.1%})")
    if precision < a.min_precision:
        print(f"falls short: precision {precision:.4f} < {a.min_precision}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
