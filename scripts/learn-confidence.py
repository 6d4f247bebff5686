#!/usr/bin/env python3
"""Learns the parser's confidence weights (bot-scripts/lexicon/confidence.toml).

The rules propose posts and name the factors for and against each (`voisinage parse --why`).
A post is right when the corpus's scorer pairs it with an expected post. This script fits an
L2-regularised logistic regression of "right" on the factors (Newton's method, pure Python),
over the corpora learnt from, and picks the threshold under which a proposed post is dropped
from out-of-fold predictions (the corpora split into folds, each fold's probabilities from a
model fitted without it), so that the threshold is judged on messages the weights did not see.

Learnt from (and only these): ../shared/corpus/dev.jsonl, target/corpus/train2-learn.jsonl
(scripts/split-train2.py), tests/data/holdout.jsonl and holdout2…holdout23. Never from
train2-blind.jsonl or holdout24 and later, which stay the blind check.

  scripts/learn-confidence.py --run "target/release/voisinage parse --why" [--write]

Without --write it prints what it would write. Run it again after changing the lexicon.
"""
import argparse
import json
import math
import os
import subprocess
import sys

from corpora import LEARN_FROM, run_parser

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
OUT = os.path.join(ROOT, "bot-scripts", "lexicon", "confidence.toml")
FOLDS = 5
L2 = (0.3, 1.0, 3.0, 10.0)
THRESHOLDS = [round(0.05 * i, 2) for i in range(0, 11)]


def factor_names():
    """The factor names of the current weights file (the parser checks they are all there)."""
    names = []
    in_weights = False
    for line in open(OUT, encoding="utf-8"):
        line = line.strip()
        if line == "[weights]":
            in_weights = True
        elif in_weights and line.startswith('"'):
            names.append(json.loads(line[: line.rindex("=")].strip()))
    return names


def solve(a, b):
    """Gaussian elimination with partial pivoting (a is small: one row per factor)."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(c + 1, n):
            f = m[r][c] / m[c][c]
            if f:
                for k in range(c, n + 1):
                    m[r][k] -= f * m[c][k]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (m[r][n] - sum(m[r][k] * x[k] for k in range(r + 1, n))) / m[r][r]
    return x


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z)) if z > -40 else 0.0


def fit(rows, l2, d):
    """rows: (active feature indices, label); d: 1 + the number of factors. Returns weights;
    index 0 is the bias (not regularised), feature j is at j + 1."""
    w = [0.0] * d
    for _ in range(30):
        grad = [0.0] * d
        hess = [[0.0] * d for _ in range(d)]
        for f, y in rows:
            idx = [0] + [j + 1 for j in f]
            p = sigmoid(sum(w[i] for i in idx))
            g, h = p - y, p * (1 - p)
            for i in idx:
                grad[i] += g
                hi = hess[i]
                for k in idx:
                    hi[k] += h
        for i in range(1, d):
            grad[i] += l2 * w[i]
            hess[i][i] += l2
        hess[0][0] += 1e-6
        step = solve(hess, grad)
        w = [wi - si for wi, si in zip(w, step)]
        if max(abs(s) for s in step) < 1e-6:
            break
    return w


def prob(w, f):
    return sigmoid(w[0] + sum(w[j + 1] for j in f))


def f1_at(messages, probs, align, t):
    tp = fp = fn = 0
    empty = silent = 0
    for (exps, cands), ps in zip(messages, probs):
        kept = [c for c, p in zip(cands, ps) if p >= t]
        pairs = align(kept, exps)
        tp += len(pairs)
        fp += len(kept) - len(pairs)
        fn += len(exps) - len(pairs)
        if not exps:
            empty += 1
            silent += not kept
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    return (2 * prec * rec / (prec + rec) if prec + rec else 0.0), (silent / empty if empty else 1.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True, help='e.g. "target/release/voisinage parse --why"')
    ap.add_argument("--write", action="store_true", help=f"write {os.path.relpath(OUT)}")
    ap.add_argument("--scorer-dir", default=os.path.join(ROOT, "..", "shared", "corpus"))
    a = ap.parse_args()
    sys.path.insert(0, a.scorer_dir)
    from score import align  # the scorer's own pairing of predicted and expected posts

    if not os.path.exists(LEARN_FROM[1]):
        subprocess.run([sys.executable, os.path.join(HERE, "split-train2.py")], check=True)
    names = factor_names()
    index = {n: i for i, n in enumerate(names)}
    # Per corpus: its messages as (expected posts, candidate posts) and its rows.
    sets = []
    for path in LEARN_FROM:
        corpus, preds = run_parser(path, a.run)
        messages, rows = [], []
        for rec, pred in zip(corpus, preds):
            cands = [p for p in pred.get("posts") or [] if isinstance(p, dict)]
            if any("why" not in c for c in cands):
                sys.exit("the command must print each post's factors: add --why")
            paired = {j for j, _ in align(cands, rec["expect"])}
            feats = []
            for j, c in enumerate(cands):
                unknown = [w for w in c["why"] if w not in index]
                if unknown:
                    sys.exit(f"factor {unknown[0]!r} is not in {OUT}: add it there (weight 0.0)")
                f = sorted({index[w] for w in c["why"]})
                feats.append(f)
                rows.append((f, 1.0 if j in paired else 0.0))
            messages.append((rec["expect"], cands, feats))
        sets.append((os.path.basename(path), messages, rows))

    folds = [sets[i::FOLDS] for i in range(FOLDS)]

    def out_of_fold(l2):
        """Each message's candidate probabilities from a model that did not see its fold."""
        probs, loss, n = {}, 0.0, 0
        for k in range(FOLDS):
            train = [r for j, fold in enumerate(folds) if j != k for s in fold for r in s[2]]
            w = fit(train, l2, len(names) + 1)
            for name, messages, rows in folds[k]:
                probs[name] = [[prob(w, f) for f in feats] for _, _, feats in messages]
                for f, y in rows:
                    p = min(max(prob(w, f), 1e-9), 1 - 1e-9)
                    loss -= y * math.log(p) + (1 - y) * math.log(1 - p)
                    n += 1
        return probs, loss / max(n, 1)

    best = None
    for l2 in L2:
        probs, loss = out_of_fold(l2)
        print(f"L2 {l2:>5}: out-of-fold log-loss {loss:.4f}")
        if best is None or loss < best[1]:
            best = (l2, loss, probs)
    l2, loss, probs = best
    all_messages = [(e, c) for _, messages, _ in sets for e, c, _ in messages]
    all_probs = [p for name, _, _ in sets for p in probs[name]]
    table = []
    for t in THRESHOLDS:
        f1, silence = f1_at(all_messages, all_probs, align, t)
        table.append((t, f1, silence))
        print(f"drop under {t:.2f}: out-of-fold post_f1 {f1:.4f}, silence {silence:.4f}")
    # The threshold with the best F1; of equals, the lowest (drop as little as possible).
    top = max(f for _, f, _ in table)
    drop_below = min(t for t, f, _ in table if f >= top - 1e-4)

    w = fit([r for _, _, rows in sets for r in rows], l2, len(names) + 1)
    n_posts = sum(len(rows) for _, _, rows in sets)
    n_right = sum(int(y) for _, _, rows in sets for _, y in rows)
    lines = [
        "# The parser's learned confidence (src/parse/confidence.rs): the logistic of the bias plus",
        "# the weights of a post's factors. Learned by scripts/learn-confidence.py: do not edit by",
        "# hand, run it again after changing the lexicon.",
        f"# {n_posts} proposed posts ({n_right} right) from {len(sets)} corpora: "
        + ", ".join(name for name, _, _ in sets) + ".",
        f"# L2 {l2} (out-of-fold log-loss {loss:.4f}); drop_below chosen on {FOLDS} out-of-fold folds:",
    ]
    lines += [f"#   {t:.2f}: post_f1 {f:.4f}, silence {s:.4f}" for t, f, s in table]
    lines += [f"bias = {w[0]:.4f}", f"drop_below = {drop_below:.2f}", "", "[weights]"]
    lines += [f"{json.dumps(n, ensure_ascii=False)} = {w[i + 1]:.4f}" for i, n in enumerate(names)]
    text = "\n".join(lines) + "\n"
    if a.write:
        open(OUT, "w", encoding="utf-8").write(text)
        print(f"wrote {os.path.relpath(OUT)}")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
