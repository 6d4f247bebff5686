//! The parser's figures on the labelled dev corpus, scored by the corpus's own scorer
//! (../shared/corpus/score.py) through the real `voisinage parse` binary. A regression below
//! the thresholds of issue #2 fails the suite.

use std::process::Command;

use crate::helpers::corpus_dir;

#[test]
fn dev_corpus_meets_the_thresholds() {
    let dir = corpus_dir();
    let bin = env!("CARGO_BIN_EXE_voisinage");
    let out = Command::new("python3")
        .arg(dir.join("score.py"))
        .arg(dir.join("dev.jsonl"))
        .arg("--run")
        .arg(format!("'{bin}' parse"))
        .args(["--min-f1", "0.93", "--min-silence", "0.95", "--min-category", "0.90"])
        .args(["--min-mode", "0.85", "--min-when", "0.90", "--min-exact", "0.70"])
        .args(["--show-misses", "40"])
        .output()
        .expect("python3 runs the scorer");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "the parser falls short on the dev corpus:\n{stdout}\n{stderr}"
    );
}

/// The same scorer on tests/data/holdout.jsonl: 250 messages written independently of the dev
/// corpus and of the grammar, our own guard against fitting the dev sentences. Thresholds sit a
/// little under the measured figures so that a regression fails.
#[test]
fn independent_holdout_does_not_regress() {
    let dir = corpus_dir();
    let bin = env!("CARGO_BIN_EXE_voisinage");
    let holdout = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/holdout.jsonl");
    let out = Command::new("python3")
        .arg(dir.join("score.py"))
        .arg(holdout)
        .arg("--run")
        .arg(format!("'{bin}' parse"))
        .args(["--min-f1", "0.90", "--min-silence", "0.97", "--min-category", "0.95"])
        .args(["--min-mode", "0.90", "--min-when", "0.95", "--min-exact", "0.80"])
        .output()
        .expect("python3 runs the scorer");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "the parser regressed on the held-out set:\n{stdout}"
    );
}

/// Issue 13's target on ../shared/corpus/train2.jsonl (450 messages in many voices, including
/// the blind third set aside by scripts/split-train2.py): post_f1 ≥ 0.93, silence ≥ 0.95,
/// exact ≥ 0.80.
#[test]
#[ignore = "issue 13's train2 target is not met yet (post_f1 0.87, silence 0.95, exact 0.74); run with --ignored"]
fn train2_corpus_meets_the_issue_13_targets() {
    let dir = corpus_dir();
    let bin = env!("CARGO_BIN_EXE_voisinage");
    let out = Command::new("python3")
        .arg(dir.join("score.py"))
        .arg(dir.join("train2.jsonl"))
        .arg("--run")
        .arg(format!("'{bin}' parse"))
        .args(["--min-f1", "0.93", "--min-silence", "0.95", "--min-exact", "0.80"])
        .output()
        .expect("python3 runs the scorer");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "the parser falls short on train2.jsonl:\n{stdout}"
    );
}

/// The confidence is calibrated: on dev + train2, the posts at or above
/// `parse::SURE_CONFIDENCE` (announced without asking the author) are right at least 95 times
/// in 100, "right" as the corpus scorer pairs posts (scripts/calibrate.py imports its `align`).
#[test]
fn sure_posts_are_right_at_least_95_times_in_100() {
    let dir = corpus_dir();
    let bin = env!("CARGO_BIN_EXE_voisinage");
    let out = Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/calibrate.py"))
        .arg(dir.join("dev.jsonl"))
        .arg(dir.join("train2.jsonl"))
        .arg("--run")
        .arg(format!("'{bin}' parse"))
        .arg("--scorer-dir")
        .arg(&dir)
        .args(["--sure", &voisinage::parse::SURE_CONFIDENCE.to_string()])
        .args(["--min-precision", "0.95"])
        .output()
        .expect("python3 runs scripts/calibrate.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "sure posts are not precise enough:\n{stdout}\n{stderr}"
    );
}
