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
