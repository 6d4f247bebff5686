#!/usr/bin/env python3
"""Learns the parser's second reader (bot-scripts/lexicon/recall.toml).

The second reader catches posts the rules miss: when the rules make no post of a message that
names things, two logistic models over the message's words, word pairs and the rules' raw
findings (`voisinage parse --features`) say whether it offers and whether it asks; above a
threshold, its things become posts of that direction (src/parse/recall.rs).

What is learnt, and on what:
- the two models' weights: L2-regularised logistic regressions (AdaGrad, pure Python), on every
  message of the corpora learnt from (the same as scripts/learn-confidence.py: dev.jsonl,
  target/corpus/train2-learn.jsonl, tests/data/holdout.jsonl and holdout2…holdout23), label
  "the message has an offer" / "has a request". The regularisation is chosen by out-of-fold
  log-loss, each corpus being one fold's unit, so that a writer is never both learnt and judged.
- the threshold and how many posts one message may get: by post F1 on the validation corpora,
  holdout24…27 (the rules' posts plus the recalled ones, scored by ../shared/corpus/score.py),
  among the choices that keep their silence on chatter. Not by out-of-fold F1 on the corpora
  learnt from: the rules were tuned on those, so the messages they miss there are too few to
  say how often the reader is right where the rules are silent on a new writer.
- `precision`: the share of recalled posts right on the validation corpora.

Never learnt from, never used to choose: train2-blind.jsonl and holdout28 and later, the blind
check that `--report` scores (the simulation of what the binary does with the weights written).

  scripts/learn-recall.py --run "target/release/voisinage parse --features" [--write] [--report]
"""
import argparse
import json
import math
import os
import random
import sys

from corpora import DATA, LEARN_FROM, ROOT, SHARED, run_parser

sys.path.insert(0, SHARED)
from score import score  # noqa: E402  (the corpus's own scorer)

OUT = os.path.join(ROOT, "bot-scripts", "lexicon", "recall.toml")
VALIDATE = [os.path.join(DATA, f"holdout{i}.jsonl") for i in range(24, 28)]
BLIND = [os.path.join(ROOT, "target", "corpus", "train2-blind.jsonl")] + [
    os.path.join(DATA, f"holdout{i}.jsonl") for i in range(28, 100)
    if os.path.exists(os.path.join(DATA, f"holdout{i}.jsonl"))]
FOLDS = 5
L2 = (0.002, 0.005, 0.01, 0.05)
MIN_COUNT = 2
EPOCHS = 15
THRESHOLDS = [round(0.05 * i, 2) for i in range(6, 20)]
MAX_POSTS = (1, 2, 3)


def read(path, run):
    corpus, lines = run_parser(path, run)
    for rec, line in zip(corpus, lines):
        if "features" not in line:
            sys.exit(f"{path}: no \"features\" in the output: run `voisinage parse --features`")
        rec["_features"] = line["features"]
        rec["_things"] = line["things"]
        rec["_rules"] = line["posts"]
    return corpus


def labels(rec):
    dirs = {e["direction"] for e in rec["expect"]}
    return ("offer" in dirs, "request" in dirs)


def fit(msgs, vocab, l2, which):
    """AdaGrad on the L2-regularised log-loss of one model (0: offer, 1: request)."""
    w = {f: 0.0 for f in vocab}
    b = 0.0
    g2 = {f: 1e-8 for f in vocab}
    gb = 1e-8
    order = list(range(len(msgs)))
    rng = random.Random(7)
    rate = 0.5
    for _ in range(EPOCHS):
        rng.shuffle(order)
        for k in order:
            rec = msgs[k]
            fs = [f for f in rec["_features"] if f in w]
            z = b + sum(w[f] for f in fs)
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            err = p - labels(rec)[which]
            gb += err * err
            b -= rate * err / math.sqrt(gb)
            for f in fs:
                g = err + l2 * w[f]
                g2[f] += g * g
                w[f] -= rate * g / math.sqrt(g2[f])
    return b, w


def prob(model, rec):
    b, w = model
    z = b + sum(w.get(f, 0.0) for f in rec["_features"])
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def vocabulary(msgs):
    count = {}
    for rec in msgs:
        for f in rec["_features"]:
            count[f] = count.get(f, 0) + 1
    return {f for f, c in count.items() if c >= MIN_COUNT}


def train(msgs, l2):
    vocab = vocabulary(msgs)
    return fit(msgs, vocab, l2, 0), fit(msgs, vocab, l2, 1)


def recalled(rec, po, pr, threshold, max_posts):
    """The posts the binary would output (src/parse/recall.rs), by name and direction."""
    if rec["_rules"]:
        return rec["_rules"]
    things = rec["_things"]
    if not things:
        return []
    direction, p = ("offer", po) if po >= pr else ("request", pr)
    if p <= threshold:
        return []
    return [{"direction": direction, "item": t, "recalled": True} for t in things[:max_posts]]


def folds_of(corpora):
    """Corpora into FOLDS groups of about equal size (a corpus is never split)."""
    groups = [[] for _ in range(FOLDS)]
    sizes = [0] * FOLDS
    for c in sorted(corpora, key=len, reverse=True):
        k = sizes.index(min(sizes))
        groups[k].extend(c)
        sizes[k] += len(c)
    return groups


def out_of_fold(groups, l2):
    """Each message's two probabilities from models fitted without its fold."""
    probs = {}
    loss = 0.0
    for k, held in enumerate(groups):
        rest = [m for j, g in enumerate(groups) if j != k for m in g]
        mo, mr = train(rest, l2)
        for rec in held:
            po, pr = prob(mo, rec), prob(mr, rec)
            probs[id(rec)] = (po, pr)
            yo, yr = labels(rec)
            for p, y in ((po, yo), (pr, yr)):
                p = min(max(p, 1e-6), 1 - 1e-6)
                loss -= math.log(p if y else 1 - p)
    return probs, loss


def figures(msgs, probs, threshold, max_posts):
    preds = [{"id": r["id"], "posts": recalled(r, *probs[id(r)], threshold, max_posts)} for r in msgs]
    f, _ = score(msgs, preds)
    made = right = 0
    for r, p in zip(msgs, preds):
        rec_posts = [x for x in p["posts"] if x.get("recalled")]
        if rec_posts:
            made += len(rec_posts)
            fr, _ = score([r], [{"id": r["id"], "posts": rec_posts}])
            right += round(fr["post_precision"] * len(rec_posts))
    return f, made, right


def toml_key(s):
    return json.dumps(s, ensure_ascii=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True)
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--report", action="store_true", help="score the blind corpora (never learnt from)")
    a = ap.parse_args()

    corpora = [read(p, a.run) for p in LEARN_FROM]
    msgs = [m for c in corpora for m in c]
    groups = folds_of(corpora)
    best = None
    for l2 in L2:
        probs, loss = out_of_fold(groups, l2)
        print(f"l2 {l2}: out-of-fold log-loss {loss / (2 * len(msgs)):.4f}", file=sys.stderr)
        if best is None or loss < best[1]:
            best = (l2, loss, probs)
    l2 = best[0]
    mo, mr = train(msgs, l2)
    val = [m for p in VALIDATE for m in read(p, a.run)]
    probs = {id(r): (prob(mo, r), prob(mr, r)) for r in val}
    base, _, _ = figures(val, probs, 1.0, 0)
    print(f"rules alone on {len(val)} validation messages: post_f1 {base['post_f1']}, silence "
          f"{base['silence_on_chatter']}", file=sys.stderr)
    choice = (1.0, 1, base["post_f1"], 0, 0)
    for t in THRESHOLDS:
        for mp in MAX_POSTS:
            f, made, right = figures(val, probs, t, mp)
            print(f"  threshold {t} max_posts {mp}: post_f1 {f['post_f1']}, silence "
                  f"{f['silence_on_chatter']} ({made} recalled, {right} right)", file=sys.stderr)
            if f["post_f1"] > choice[2] and f["silence_on_chatter"] >= base["silence_on_chatter"]:
                choice = (t, mp, f["post_f1"], made, right)
    threshold, max_posts, f1, made, right = choice
    precision = round(right / made, 3) if made else 0.0
    print(f"chosen: l2 {l2}, threshold {threshold}, max_posts {max_posts}: validation post_f1 "
          f"{f1} (rules alone {base['post_f1']}); recalled {made}, right {right}", file=sys.stderr)

    vocab = vocabulary(msgs)
    weights = {f: (round(mo[1][f], 4), round(mr[1][f], 4)) for f in sorted(vocab)}
    weights = {f: w for f, w in weights.items() if abs(w[0]) >= 0.001 or abs(w[1]) >= 0.001}
    out = [
        "# The second reader's weights (src/parse/recall.rs), written by scripts/learn-recall.py:",
        "# do not edit by hand; run the script again after changing the lexicon.",
        f"# Learnt from {len(msgs)} messages ({len(corpora)} corpora); L2 {l2} by out-of-fold log-loss.",
        f"# Threshold chosen on holdout24-27 ({len(val)} messages): post F1 {base['post_f1']} (rules",
        f"# alone) -> {f1}; {right} of the {made} recalled posts right.",
        f"offer_bias = {round(mo[0], 4)}",
        f"request_bias = {round(mr[0], 4)}",
        f"threshold = {threshold}",
        f"precision = {precision}",
        f"max_posts = {max_posts}",
        "",
        "# feature = [offer weight, request weight]",
        "[weights]",
    ] + [f"{toml_key(f)} = [{w[0]}, {w[1]}]" for f, w in weights.items()]
    text = "\n".join(out) + "\n"
    if a.write:
        open(OUT, "w", encoding="utf-8").write(text)
        print(f"wrote {OUT} ({len(weights)} features)", file=sys.stderr)
    else:
        print("\n".join(out[:11]))
    if a.report:
        for path in BLIND:
            if not os.path.exists(path):
                continue
            blind = read(path, a.run)
            probs = {id(r): (prob(mo, r), prob(mr, r)) for r in blind}
            rules, _, _ = figures(blind, probs, 1.0, 0)
            f, made, right = figures(blind, probs, threshold, max_posts)
            print(f"{os.path.basename(path)}: post_f1 {rules['post_f1']} -> {f['post_f1']}, silence "
                  f"{rules['silence_on_chatter']} -> {f['silence_on_chatter']}, recalled {made}, right {right}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
