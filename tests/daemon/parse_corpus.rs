//! The parser's figures on the labelled dev corpus, scored by the corpus's own scorer
//! (../shared/corpus/score.py) through the real `voisinage parse` binary. A regression below
//! the thresholds of issue #2 fails the suite.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::helpers::corpus_dir;

/// Runs the corpus scorer on `corpus` through the real binary; the figures are printed and
/// the scorer's exit status says whether every threshold in `limits` holds.
fn score(corpus: &Path, limits: &[&str]) -> (bool, String) {
    let bin = env!("CARGO_BIN_EXE_voisinage");
    let out = Command::new("python3")
        .arg(corpus_dir().join("score.py"))
        .arg(corpus)
        .arg("--run")
        .arg(format!("'{bin}' parse"))
        .args(limits)
        .args(["--show-misses", "40"])
        .output()
        .expect("python3 runs the scorer");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    (out.status.success(), text)
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

#[test]
fn dev_corpus_meets_the_thresholds() {
    let limits = [
        "--min-f1",
        "0.93",
        "--min-silence",
        "0.95",
        "--min-category",
        "0.90",
        "--min-mode",
        "0.85",
        "--min-when",
        "0.90",
        "--min-exact",
        "0.70",
    ];
    let (ok, text) = score(&corpus_dir().join("dev.jsonl"), &limits);
    assert!(ok, "the parser falls short on the dev corpus:\n{text}");
}

/// The same scorer on tests/data/holdout.jsonl: 250 messages written independently of the dev
/// corpus and of the grammar, our own guard against fitting the dev sentences. Thresholds sit a
/// little under the measured figures so that a regression fails.
#[test]
fn independent_holdout_does_not_regress() {
    let limits = [
        "--min-f1",
        "0.90",
        "--min-silence",
        "0.97",
        "--min-category",
        "0.95",
        "--min-mode",
        "0.90",
        "--min-when",
        "0.95",
        "--min-exact",
        "0.80",
    ];
    let (ok, text) = score(&data("holdout.jsonl"), &limits);
    assert!(ok, "the parser regressed on the held-out set:\n{text}");
}

/// tests/data/holdout2…23.jsonl: 1,087 messages by other writers, each set scored blind before
/// the parser learnt from it (figures in README.md). They guard what was learnt; the floors
/// sit under the figures measured after learning (the later sets, written along issue 13's
/// failure classes, are harder).
#[test]
fn fresh_writer_sets_do_not_regress() {
    let sets = [
        ("holdout2.jsonl", "0.92", "0.90", "0.82"),
        ("holdout3.jsonl", "0.92", "0.90", "0.82"),
        ("holdout4.jsonl", "0.92", "0.90", "0.82"),
        ("holdout5.jsonl", "0.92", "0.90", "0.82"),
        ("holdout6.jsonl", "0.85", "0.90", "0.78"),
        ("holdout7.jsonl", "0.85", "0.88", "0.78"),
        ("holdout8.jsonl", "0.92", "0.90", "0.80"),
        ("holdout9.jsonl", "0.83", "0.90", "0.75"),
        ("holdout10.jsonl", "0.85", "0.95", "0.82"),
        ("holdout11.jsonl", "0.90", "0.80", "0.82"),
        ("holdout12.jsonl", "0.88", "0.95", "0.68"),
        ("holdout13.jsonl", "0.88", "0.95", "0.78"),
        ("holdout14.jsonl", "0.80", "0.95", "0.62"),
        ("holdout15.jsonl", "0.95", "0.95", "0.85"),
        ("holdout16.jsonl", "0.90", "0.95", "0.80"),
        ("holdout17.jsonl", "0.93", "0.95", "0.88"),
        ("holdout18.jsonl", "0.93", "0.95", "0.75"),
        ("holdout19.jsonl", "0.93", "0.90", "0.80"),
        ("holdout20.jsonl", "0.87", "0.95", "0.85"),
        ("holdout21.jsonl", "0.89", "0.95", "0.80"),
        ("holdout22.jsonl", "0.94", "0.95", "0.90"),
        ("holdout23.jsonl", "0.95", "0.95", "0.87"),
    ];
    for (name, f1, silence, exact) in sets {
        let (ok, text) = score(
            &data(name),
            &["--min-f1", f1, "--min-silence", silence, "--min-exact", exact],
        );
        assert!(ok, "the parser regressed on {name}:\n{text}");
    }
}

/// scripts/probe-phrasings.py: 74 ways of offering or asking, each with five things, must each
/// give one post of their direction (offers asked as questions, searches for takers, English),
/// and 25 ways of saying something else (withdrawn, past, thanks, questions) none.
#[test]
fn offer_and_request_phrasings_give_their_direction() {
    let bin = env!("CARGO_BIN_EXE_voisinage");
    let out = Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/probe-phrasings.py"))
        .arg(format!("'{bin}' parse"))
        .output()
        .expect("python3 runs scripts/probe-phrasings.py");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "some phrasings are misread:\n{text}");
}

/// Issue 13's target on ../shared/corpus/train2.jsonl (450 messages in many voices, including
/// the blind third set aside by scripts/split-train2.py): post_f1 ≥ 0.93, silence ≥ 0.95,
/// exact ≥ 0.80. Measured 0.931 / 0.983 / 0.865; the never-read third alone is at 0.856 (README).
#[test]
fn train2_corpus_meets_the_issue_13_targets() {
    let (ok, text) = score(
        &corpus_dir().join("train2.jsonl"),
        &["--min-f1", "0.93", "--min-silence", "0.95", "--min-exact", "0.80"],
    );
    assert!(ok, "the parser falls short on train2.jsonl:\n{text}");
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

/// `voisinage parse --features`, what scripts/learn-recall.py learns the second reader from:
/// the rules' posts, the features of each message and the things it could post (null when the
/// rules decided there is nothing, e.g. a withdrawal).
#[test]
fn parse_features_gives_what_the_second_reader_learns_from() {
    use std::io::Write;
    let bin = env!("CARGO_BIN_EXE_voisinage");
    let mut child = Command::new(bin)
        .args(["parse", "--features"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let input = concat!(
        r#"{"id": "a", "text": "Je laisse mon vieux piano à qui vient le chercher", "sent_at": "2026-06-10T18:30:00+02:00"}"#,
        "\n",
        r#"{"id": "b", "text": "Je prête ma perceuse, ah non plus dispo", "sent_at": "2026-06-10T18:30:00+02:00"}"#,
        "\n"
    );
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("written");
    let out = child.wait_with_output().expect("it ends");
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["id"], "a");
    let features: Vec<&str> = lines[0]["features"]
        .as_array()
        .expect("features")
        .iter()
        .filter_map(|f| f.as_str())
        .collect();
    assert!(
        features.contains(&"w:piano") && features.contains(&"b:vieu piano"),
        "{features:?}"
    );
    assert_eq!(lines[0]["things"], serde_json::json!(["piano"]));
    assert_eq!(lines[0]["posts"], serde_json::json!([]), "the rules read no post here");
    assert_eq!(lines[1]["things"], serde_json::Value::Null, "withdrawn: {}", lines[1]);
}
