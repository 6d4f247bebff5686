//! Any UTF-8 input returns without panic, in time linear in its length.

use proptest::prelude::*;
use voisinage::parse::{ParseInput, Parser};

use crate::helpers::at;

fn parse(text: &str) -> usize {
    Parser::embedded()
        .parse(&ParseInput::new(text, at("2026-06-10T18:30:00+02:00")))
        .len()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_unicode_never_panics(text in "\\PC{0,400}") {
        parse(&text);
    }

    #[test]
    fn french_looking_noise_never_panics(words in proptest::collection::vec(
        prop_oneof![
            Just("je"), Just("prête"), Just("cherche"), Just("qqn"), Just("aurait"), Just("du"), Just("au"),
            Just("3"), Just("14"), Just("août"), Just("samedi"), Just("prochain"), Just("("), Just(")"),
            Just(","), Just("."), Just("€"), Just("'"), Just("-"), Just("perceuse"), Just("contre"),
            Just("vacances"), Just("de"), Just("la"), Just("Toussaint"), Just("et"), Just("ou"), Just("🙂"),
            Just("\n"), Just("> "), Just("ne"), Just("plus"), Just("garder"), Just("chat"), Just("2026"),
            Just("31"), Just("/"), Just("12"), Just("week-end"), Just("demain"), Just("ce"), Just("soir"),
        ], 0..120)) {
        let text = words.join(" ");
        let n = parse(&text);
        prop_assert!(n <= text.len());
    }
}

#[test]
fn one_mebibyte_message_returns() {
    let unit = "Je prête ma perceuse ce week-end, qqn aurait une échelle du 3 au 10 août ? 🙂 ";
    let mut text = String::with_capacity(1 << 20);
    while text.len() + unit.len() <= 1 << 20 {
        text.push_str(unit);
    }
    let posts = Parser::embedded().parse(&ParseInput::new(&text, at("2026-06-10T18:30:00+02:00")));
    assert!(!posts.is_empty());
    // Without spaces or punctuation: one enormous word.
    let blob = "é".repeat(1 << 19);
    assert!(
        Parser::embedded()
            .parse(&ParseInput::new(&blob, at("2026-06-10T18:30:00+02:00")))
            .is_empty()
    );
}

/// `phrase` repeated up to `bytes` bytes (whole phrases only).
fn repeated(phrase: &str, bytes: usize) -> String {
    phrase.repeat(bytes / phrase.len())
}

/// The best of two parse times, in seconds (the least disturbed by other work).
fn parse_seconds(text: &str) -> f64 {
    let parser = Parser::embedded();
    let input = ParseInput::new(text, at("2026-06-10T18:30:00+02:00"));
    (0..2)
        .map(|_| {
            let t = std::time::Instant::now();
            std::hint::black_box(parser.parse(&input));
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

/// Long messages made of one lexicon phrase repeated (a thing, a date, a cue) are read in time
/// linear in their length: quadrupling the text must not come near multiplying the time by 16.
/// Ratios only, so a slow or busy machine does not fail it.
#[test]
fn parse_time_grows_linearly_on_repeated_phrases() {
    let phrases = [
        "lit bébé ",
        "ma perceuse ",
        "samedi 12 juin ",
        "je prête ",
        "qqn aurait ",
        "perceuse ou ",
    ];
    for phrase in phrases {
        let times: Vec<f64> = [256 << 10, 512 << 10, 1 << 20]
            .iter()
            .map(|&n| parse_seconds(&repeated(phrase, n)))
            .collect();
        // A floor keeps timer noise on very fast parses from making a ratio.
        let ratio = times[2] / times[0].max(1e-3);
        eprintln!("{phrase:?}: {times:?}, ratio {ratio:.1}");
        assert!(
            ratio < 8.0,
            "{phrase:?}: 256 KiB → 1 MiB took {ratio:.1}× longer ({times:?})"
        );
    }
}

#[test]
fn a_thing_named_far_into_a_quote_does_not_index_the_reply() {
    // The quote's thing has a position in the quote's words, not in the short reply's.
    let text = "> Bonjour à tous, voilà, on refait la chambre du petit et quelqu'un aurait de la peinture à me donner ?\nOui je te la donne";
    let posts = Parser::embedded().parse(&ParseInput::new(text, at("2026-06-10T18:30:00+02:00")));
    assert!(posts.len() <= 1);
}
