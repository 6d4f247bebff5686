//! Splitting a message into sentences and clauses, and reading each clause: which cues speak
//! for an offer or a request, which things are named, which dates and prices.
//!
//! A clause is the unit that gets one direction: "je donne un transat | et je cherche une
//! poussette" holds two. Clauses start at sentence ends, at "mais"/"par contre", at a comma or
//! "et" followed by a subject ("…, je peux le prêter"), and where a strong cue of the other
//! direction follows a thing already named.

use std::cell::Cell;

use super::lexicon::{Lexicon, Marker, WordList};
use super::model::{DateRange, Direction, Kind, Mode, Price};
use super::pattern::{self, Match};
use super::text::{self, Stream};
use super::when::WhenMatch;

/// Everything found in a message before clauses are read.
pub struct Found {
    pub cues: Vec<Match>,
    pub items: Vec<Match>,
    pub markers: Vec<Match>,
    pub dates: Vec<WhenMatch>,
    pub prices: Vec<(usize, usize, Price)>,
    /// Whether each word stands inside parentheses.
    pub parens: Vec<bool>,
    /// Byte ranges of quoted text (left out of the stream; their things wait for a cue).
    pub quoted: Vec<(usize, usize)>,
}

// The parentheses of the thread's last dropped [`Found`], for its next message (the matches go
// back to the pattern sets' spare vectors, see [`pattern::give_back`]).
thread_local! {
    static SPARE_PARENS: Cell<Vec<bool>> = const { Cell::new(Vec::new()) };
}

impl Drop for Found {
    fn drop(&mut self) {
        pattern::give_back(std::mem::take(&mut self.cues));
        pattern::give_back(std::mem::take(&mut self.items));
        pattern::give_back(std::mem::take(&mut self.markers));
        text::give_vec(&SPARE_PARENS, std::mem::take(&mut self.parens));
    }
}

/// A clause: words `start..end` of sentence `sentence`.
#[derive(Debug, Clone, Copy)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub sentence: usize,
}

/// One thing named in a clause.
#[derive(Debug, Clone, Copy)]
pub struct ItemHit {
    pub entry: usize,
    pub start: usize,
    pub end: usize,
    /// Inside parentheses: a detail, unless the clause names nothing else.
    pub in_parens: bool,
    /// A complement kept because the clause names nothing else ("dépanner en tondeuse"): it
    /// gives way to a thing named before.
    pub restored: bool,
    /// The thing a service works on, when the post takes its category (see
    /// `ItemEntry::takes_object_category`).
    pub object: Option<usize>,
}

/// A cue kept for a clause.
#[derive(Debug, Clone, Copy)]
pub struct CueHit {
    pub entry: usize,
    pub start: usize,
    pub end: usize,
    /// Its mode is one of two alternatives ("à donner ou à vendre"): the text does not say.
    pub mode_off: bool,
}

/// What one clause says.
#[derive(Debug, Clone)]
pub struct Reading {
    pub span: Span,
    pub direction: Option<Direction>,
    /// Strongest direction weight (0 when none).
    pub strength: u8,
    pub cues: Vec<CueHit>,
    pub items: Vec<ItemHit>,
    pub dates: Option<(DateRange, usize, usize)>,
    pub price: Option<(usize, usize, Price)>,
    pub withdrawn: bool,
    pub thanks: bool,
    pub anaphora: bool,
    /// "non je rigole": what the message said before is taken back.
    pub retracts: bool,
    /// A direction cue was set aside for what it says ("je prête pas", "quelqu'un sait…"): the
    /// clause decidedly offers or asks nothing (the second reader does not overrule it).
    pub refuses: bool,
}

const MODE_ORDER: [Mode; 4] = [Mode::Swap, Mode::Loan, Mode::Gift, Mode::Sale];

/// The matches of a sorted list that start inside `span` (binary search: reading every
/// clause stays linear in the length of the message).
pub fn within<'a>(v: &'a [Match], span: &Span) -> &'a [Match] {
    let a = v.partition_point(|m| m.start < span.start);
    let b = v.partition_point(|m| m.start < span.end);
    &v[a..b.max(a)]
}

/// The stream's sentences (split at . ! ? ; newlines and emoji), as word ranges.
pub fn sentences(s: &Stream) -> &[(usize, usize)] {
    s.sentences()
}

fn word_in(s: &Stream, i: usize, list: &WordList) -> bool {
    s.is_word(i)
        && match list.bit() {
            0 => list.contains(s.key(i)),
            bit => s.in_lists(i, bit),
        }
}

/// Whether the cue at `i` opens its clause: nothing but punctuation or a greeting before it.
fn at_clause_start(s: &Stream, i: usize, clause_start: usize) -> bool {
    if i <= clause_start {
        return true;
    }
    let p = i - 1;
    !s.is_word(p)
        || matches!(
            s.key(p),
            "et" | "and" | "mais" | "bonjour" | "bonsoir" | "hello" | "salut" | "coucou" | "hi"
        )
}

fn negated(s: &Stream, lex: &Lexicon, i: usize, clause_start: usize) -> bool {
    let mut seen = 0;
    let mut j = i;
    while j > clause_start && seen < 2 {
        j -= 1;
        if s.is_soft_punct(j) {
            continue;
        }
        if !s.is_word(j) {
            return false;
        }
        seen += 1;
        if word_in(s, j, &lex.negators) {
            // "en plus", "de plus": an addition, not a negation.
            let addition = s.key(j) == "plu" && j > 0 && matches!(s.key_bytes(j - 1), b"en" | b"de");
            if !addition {
                return true;
            }
        }
    }
    false
}

/// "je prête plus mes outils", "je donne pas": a negation right after the cue (spoken French
/// drops the "ne"). "plus de", "pas cher", "pas mal de" are no negation.
fn negated_after(s: &Stream, i: usize, clause_end: usize) -> bool {
    if i >= clause_end || !s.is_word(i) {
        return false;
    }
    let next = if i + 1 < clause_end && s.is_word(i + 1) {
        s.key(i + 1)
    } else {
        ""
    };
    match s.key(i) {
        "pas" => !matches!(next, "cher" | "chere" | "mal" | "trop" | "loin"),
        "plu" => !matches!(next, "de" | "d" | "que" | "qu" | "tard" | "tot" | "ou"),
        "jamai" | "not" | "never" => true,
        _ => false,
    }
}

/// Whether the author speaks in the first person up to word `end` of the clause ("j'organise",
/// "we're giving"): an event by others has no such subject.
fn first_person(s: &Stream, start: usize, end: usize) -> bool {
    (start..end).any(|j| s.is_word(j) && matches!(s.key_bytes(j), b"je" | b"j" | b"nou" | b"i" | b"we" | b"me" | b"m"))
}

/// Cues of the clause that count: at the start when they must be, not negated. Also whether a
/// direction cue was set aside for what it says (negated, asking for information, an event by
/// others, looking for one's own thing): the clause then decidedly offers or asks nothing.
fn kept_cues(s: &Stream, lex: &Lexicon, f: &Found, span: &Span) -> (Vec<CueHit>, bool) {
    let info = within(&f.markers, span)
        .iter()
        .any(|m| lex.markers[m.entry] == Marker::Info);
    let event = within(&f.markers, span).iter().any(|m| event_marker(s, lex, m));
    let denied = |m: &&Match| {
        lex.cues[m.entry].direction.is_some()
            && (negated(s, lex, m.start, span.start) || negated_after(s, m.end, span.end))
    };
    // "Je prête pas ma voiture, arrêtez de demander en MP": a firm cue negated says what the
    // author will not do; the weak cues beside it do not make the clause a post again.
    let refused = within(&f.cues, span)
        .iter()
        .any(|m| lex.cues[m.entry].weight >= 3 && denied(&m));
    // "je donne des cours à la médiathèque, c'est gratuit": the author's own firm offer is no
    // event by others; the weak cues beside it keep their mode.
    let own_offer = event
        && within(&f.cues, span).iter().any(|m| {
            let c = &lex.cues[m.entry];
            c.direction == Some(Direction::Offer) && c.weight >= 3 && first_person(s, span.start, m.end)
        });
    let mut set_aside = false;
    let mut kept: Vec<CueHit> = within(&f.cues, span)
        .iter()
        .filter(|m| {
            let c = &lex.cues[m.entry];
            let weak_after_refusal = refused && c.direction.is_some() && c.weight < 3;
            let misplaced = c.at_start && !at_clause_start(s, m.start, span.start);
            let asks_info = info && c.direction.is_some();
            let denied = denied(m) || weak_after_refusal;
            // An event by others ("Troc de graines samedi à la médiathèque") offers nothing of
            // the author's own; an association may still ask ("recherche des bénévoles").
            let event_talk = event
                && !own_offer
                && c.direction.is_some()
                && (c.weight < 3 || c.direction == Some(Direction::Offer) && !first_person(s, span.start, m.end));
            // "je cherche mes lunettes": looking for one's own thing asks nobody for anything.
            let own_thing = c.direction == Some(Direction::Request) && searches_own(s, m.end, span.end);
            // "dispo pour aider qqun à repeindre": "qqn a" before an infinitive is "someone to",
            // the object of the verb before it, not "someone has".
            let someone_to = c.direction.is_some() && to_infinitive(s, m.end, span.end);
            // "je ne peux pas payer": a negated mode word says no mode.
            let mode_denied = c.direction.is_none() && m.start > span.start && word_before_negates(s, lex, m.start);
            set_aside |= asks_info || denied || event_talk || own_thing;
            !(misplaced || asks_info || denied || event_talk || mode_denied || own_thing || someone_to)
        })
        .map(|m| CueHit {
            entry: m.entry,
            start: m.start,
            end: m.end,
            mode_off: false,
        })
        .collect();
    modes_in_alternative(s, lex, &mut kept);
    (kept, set_aside)
}

/// Whether a colon between `from` and `to` is followed by the list's first thing, with only
/// small words between ("des fournitures en trop : des cahiers, …"; not ": je répare …").
fn colon_opens_list(s: &Stream, lex: &Lexicon, from: usize, to: usize) -> bool {
    (from..to)
        .rev()
        .find(|&j| s.punct(j) == Some(':'))
        .is_some_and(|colon| (colon + 1..to).all(|j| s.is_filler(j) || s.is_number(j) || word_in(s, j, &lex.modifiers)))
}

/// The key of the first word before `i` that is not `small` (over at most four tokens;
/// apostrophes are passed): None at other punctuation or the start.
pub(super) fn word_before_skipping(s: &Stream, i: usize, small: fn(&[u8]) -> bool) -> Option<&[u8]> {
    let mut j = i;
    for _ in 0..4 {
        if j == 0 {
            return None;
        }
        j -= 1;
        if s.punct(j) == Some('\'') {
            continue;
        }
        if !s.is_word(j) {
            return None;
        }
        if !small(s.key_bytes(j)) {
            return Some(s.key_bytes(j));
        }
    }
    None
}

/// Whether the word at `i` names a place rather than an event: "départ devant la mairie",
/// "en face de la médiathèque", "sur le parking de la salle des fêtes".
fn place_before(s: &Stream, i: usize) -> bool {
    word_before_skipping(s, i, |k| {
        matches!(k, b"le" | b"la" | b"les" | b"l" | b"de" | b"d" | b"du" | b"des")
    })
    .is_some_and(|k| {
        matches!(
            k,
            b"devant"
                | b"derriere"
                | b"pre"
                | b"face"
                | b"cote"
                | b"ver"
                | b"depui"
                | b"jusqu"
                | b"parking"
                | b"place"
                | b"parvi"
                | b"rue"
        )
    })
}

/// Whether marker `m` names an event organised by others (not a place: "devant la mairie").
fn event_marker(s: &Stream, lex: &Lexicon, m: &Match) -> bool {
    lex.markers[m.entry] == Marker::Event && !place_before(s, m.start)
}

/// Whether an event organised by others is named anywhere in the message, and the clause from
/// `start` to `end` does not speak in the first person.
fn others_event(s: &Stream, lex: &Lexicon, f: &Found, start: usize, end: usize) -> bool {
    !first_person(s, start, end) && f.markers.iter().any(|m| event_marker(s, lex, m))
}

/// Whether the word at `i` is a name: right after "named", "called", "appelé", "nommé",
/// "surnommé" or "qui s'appelle".
fn named_before(s: &Stream, i: usize) -> bool {
    let at = |k: usize| if s.is_word(k) { s.key(k) } else { "" };
    let word = i >= 1
        && matches!(
            at(i - 1),
            "named"
                | "called"
                | "appele"
                | "appelee"
                | "nomme"
                | "nommee"
                | "prenomme"
                | "prenommee"
                | "surnomme"
                | "surnommee"
        );
    // "s'appelle": the apostrophe is a token of its own.
    let calls = i >= 3 && at(i - 1) == "appelle" && s.is_soft_punct(i - 2) && matches!(at(i - 3), "s" | "m");
    word || calls
}

/// Whether the search cue ending at `end` is followed by the author's own thing ("je cherche
/// mes lunettes", "looking for my keys").
fn searches_own(s: &Stream, end: usize, limit: usize) -> bool {
    end > 0
        && end < limit
        && s.is_word(end)
        && matches!(
            s.key_bytes(end),
            b"mon" | b"ma" | b"mes" | b"notre" | b"nos" | b"my" | b"our"
        )
        && {
            let k = s.key(end - 1);
            k.starts_with("cherch") || k.starts_with("recherch") || k == "for"
        }
}

/// Whether the cue ending at `end` ends with "a" (folded "à") and an infinitive follows it:
/// "aider qqn à repeindre" is no "qqn a" (someone has).
fn to_infinitive(s: &Stream, end: usize, limit: usize) -> bool {
    end > 0 && end < limit && s.is_word(end - 1) && s.key_bytes(end - 1) == b"a" && s.is_word(end) && {
        let k = s.key(end);
        k.len() >= 5 && (super::infinitive_ending(k) || k.ends_with("ire") || k.ends_with("dre"))
    }
}

/// Whether the word right before `i` is a negator ("pas payer"; "en plus" is no negation).
fn word_before_negates(s: &Stream, lex: &Lexicon, i: usize) -> bool {
    let j = i - 1;
    word_in(s, j, &lex.negators) && !(s.key(j) == "plu" && j > 0 && matches!(s.key_bytes(j - 1), b"en" | b"de"))
}

/// "à donner ou à vendre", "en prêt ou à acheter", "payer ou échanger": two modes offered as
/// alternatives leave the mode open, so every cue of either mode is turned off in the clause.
fn modes_in_alternative(s: &Stream, lex: &Lexicon, cues: &mut [CueHit]) {
    let mut off = [false; 4];
    let mut prev: Option<(Mode, usize)> = None;
    for c in cues.iter() {
        let Some(m) = lex.cues[c.entry].mode else {
            continue;
        };
        if let Some((pm, end)) = prev
            && pm != m
            && c.start >= end
            && c.start - end <= 5
            && (end..c.start).any(|j| word_in(s, j, &lex.alternatives))
            && (end..c.start).all(|j| s.is_word(j) || s.is_number(j) || s.punct(j) == Some('€'))
        {
            off[pm as usize] = true;
            off[m as usize] = true;
        }
        prev = Some((m, c.end));
    }
    for c in cues.iter_mut() {
        if lex.cues[c.entry].mode.is_some_and(|m| off[m as usize]) {
            c.mode_off = true;
        }
    }
}

/// The direction of a set of cues: the heaviest wins, the first on a tie; weak cues must add
/// up to 2.
pub fn direction_of(lex: &Lexicon, cues: &[CueHit]) -> (Option<Direction>, u8) {
    let mut best: Option<(Direction, u8)> = None;
    let mut sums = [0u8; 2];
    for c in cues {
        let e = &lex.cues[c.entry];
        if let Some(d) = e.direction {
            sums[d as usize] = sums[d as usize].saturating_add(e.weight);
            if best.is_none_or(|(_, w)| e.weight > w) {
                best = Some((d, e.weight));
            }
        }
    }
    match best {
        Some((d, w)) if w >= 2 || sums[d as usize] >= 2 => (Some(d), w),
        _ => (None, 0),
    }
}

/// The mode of a post of `kind` given the clause's cues and price.
pub fn mode_of(lex: &Lexicon, cues: &[CueHit], kind: Kind, priced: bool) -> Option<Mode> {
    let mut weights = [0u8; 4];
    for c in cues {
        let e = &lex.cues[c.entry];
        // A service is never lent ("qui pourrait arroser mes plantes ? je rapporte des
        // galettes" is no loan).
        if let Some(m) = e.mode
            && !c.mode_off
            && !(e.mode_items_only && kind == Kind::Service)
            && !(m == Mode::Loan && kind == Kind::Service)
        {
            let w = e.mode_weight.unwrap_or(e.weight);
            let k = MODE_ORDER.iter().position(|x| *x == m).unwrap_or(0);
            weights[k] = weights[k].max(w);
        }
    }
    // "Vends 50€ ou échange": a price among alternative modes says no mode either.
    let sale_open = cues
        .iter()
        .any(|c| c.mode_off && lex.cues[c.entry].mode == Some(Mode::Sale));
    if priced && !sale_open {
        weights[3] = weights[3].max(2);
    }
    let max = *weights.iter().max()?;
    if max == 0 {
        return None;
    }
    // "acheter ou emprunter", "prêt ou vente": two explicit modes, so the text does not say.
    if max >= 3 && weights.iter().filter(|w| **w == max).count() > 1 {
        return None;
    }
    MODE_ORDER.iter().zip(weights).find(|(_, w)| *w == max).map(|(m, _)| *m)
}

/// Splits sentences into clauses.
pub fn clauses(s: &Stream, lex: &Lexicon, f: &Found) -> Vec<Span> {
    let mut out = Vec::new();
    let mut breaks_at = vec![false; s.len()];
    for m in &f.markers {
        if lex.markers[m.entry] == Marker::ClauseBreak {
            breaks_at[m.start] = true;
        }
    }
    for (n, &(a, b)) in sentences(s).iter().enumerate() {
        let mut start = a;
        for (i, &breaks) in breaks_at.iter().enumerate().take(b).skip(a) {
            if i == start {
                continue;
            }
            let after_comma = i > a && (s.punct(i - 1) == Some(',') || matches!(s.key_bytes(i - 1), b"et" | b"and"));
            let subject = word_in(s, i, &lex.pronouns);
            // "my bike (a bit rusty but it works) and a desk": an aside does not end the clause.
            if (breaks && !f.parens[i]) || (after_comma && subject) {
                let at = if i > start + 1 && matches!(s.key_bytes(i - 1), b"et" | b"and") {
                    i - 1
                } else {
                    i
                };
                if at > start {
                    out.push(Span {
                        start,
                        end: at,
                        sentence: n,
                    });
                    start = at;
                }
            }
        }
        out.push(Span {
            start,
            end: b,
            sentence: n,
        });
    }
    // A strong cue of the other direction after a thing was named starts a new clause.
    let mut split = Vec::with_capacity(out.len());
    // One vector for every span's events.
    let mut events: Vec<(usize, Option<Direction>)> = Vec::new();
    for span in out {
        let mut start = span.start;
        let mut dir: Option<Direction> = None;
        let mut named = false;
        events.clear();
        for m in within(&f.cues, &span) {
            let c = &lex.cues[m.entry];
            if c.weight >= 3
                && let Some(d) = c.direction
                && (!c.at_start || at_clause_start(s, m.start, span.start) || at_clause_start(s, m.start, start))
            {
                events.push((m.start, Some(d)));
            }
        }
        for m in within(&f.items, &span) {
            events.push((m.start, None));
        }
        events.sort_by_key(|e| e.0);
        for &(pos, d) in &events {
            match d {
                Some(d) => {
                    // Only where a clause can start: after punctuation, "et", or at a subject
                    // ("qqn que des plants intéresseraient" is one clause).
                    let opens = pos == 0
                        || !s.is_word(pos - 1)
                        || word_in(s, pos - 1, &lex.separators)
                        || word_in(s, pos, &lex.pronouns)
                        || word_in(s, pos - 1, &lex.pronouns);
                    if opens && dir.is_some_and(|x| x != d) && named && pos > start {
                        let pos = date_led(s, lex, f, start, pos);
                        split.push(Span {
                            start,
                            end: pos,
                            sentence: span.sentence,
                        });
                        start = pos;
                    }
                    if dir != Some(d) {
                        named = false;
                    }
                    dir = Some(d);
                }
                None => named |= dir.is_some(),
            }
        }
        split.push(Span {
            start,
            end: span.end,
            sentence: span.sentence,
        });
    }
    split
}

/// "je prête ma remorque samedi, et dimanche j'aurais besoin…": a new clause opened by a cue
/// at `pos` takes the date said right before it after "et" or a comma.
fn date_led(s: &Stream, lex: &Lexicon, f: &Found, start: usize, pos: usize) -> usize {
    let i = f.dates.partition_point(|d| d.end < pos);
    match f.dates.get(i) {
        Some(d)
            if d.end == pos
                && d.start > start + 1
                && (s.punct(d.start - 1) == Some(',') || word_in(s, d.start - 1, &lex.separators)) =>
        {
            d.start
        }
        _ => pos,
    }
}

/// For each word, whether it stands inside parentheses (depth resets at sentence ends).
///
/// The vector is the one the thread's last [`Found`] left, when there is one.
pub fn paren_depths(s: &Stream) -> Vec<bool> {
    let mut out = text::take_spare(&SPARE_PARENS);
    paren_depths_into(s, &mut out);
    out
}

/// [`paren_depths`] into `out` (cleared first), whose room is reused.
pub fn paren_depths_into(s: &Stream, out: &mut Vec<bool>) {
    let mut depth = 0u32;
    out.clear();
    out.extend((0..s.len()).map(|j| {
        match s.punct(j) {
            Some('(' | '[') => depth += 1,
            Some(')' | ']') => depth = depth.saturating_sub(1),
            _ if s.is_hard_boundary(j) && !matches!(s.punct(j), Some('.' | '!' | '?')) => depth = 0,
            _ => {}
        }
        depth > 0
    }));
}

/// True when the thing at `i` is the complement of a preposition ("en bois", "avec matelas",
/// "pour poser des étagères"), unless that preposition ends a cue ("looking for a ladder").
fn after_preposition(s: &Stream, lex: &Lexicon, cues: &[CueHit], span: &Span, i: usize) -> bool {
    let mut j = i;
    let floor = span.start.max(i.saturating_sub(8));
    let mut verb_seen = false;
    let mut verb_at = usize::MAX;
    let mut alternative_seen = false;
    let mut other_seen = false;
    while j > floor {
        j -= 1;
        if s.is_soft_punct(j) {
            continue;
        }
        if !s.is_word(j) {
            return false;
        }
        let cue_ends_here = || cues.iter().any(|c| c.end > j && c.end <= i);
        if word_in(s, j, &lex.prepositions) || (verb_seen && matches!(s.key_bytes(j), b"a" | b"de" | b"d" | b"to")) {
            // Unless a cue ends there: "looking for a ladder", "je cherche à acheter un lit".
            return !cue_ends_here();
        }
        // The object of an infinitive is not a post of its own: "nourrir mes poules et
        // ramasser les œufs", "m'aider à monter une étagère" (unless the verb is the cue:
        // "je propose de vous prêter mes raquettes").
        // "je le prête à qui veut mettre sa voiture": a cue that ends before the infinitive
        // ("qui veut") does not make its object a post.
        if verb_seen && INFINITIVE_LEADS.contains(&s.key(j)) {
            return !cues.iter().any(|c| c.end > verb_at && c.end <= i);
        }
        // "peut-être" is an adverb, not a modal and an infinitive.
        if s.key(j) == "etre" && j > floor {
            let hyphen = s.punct(j - 1) == Some('-');
            let modal = if hyphen {
                j - 1 > floor && s.key(j - 2) == "peut"
            } else {
                s.key(j - 1) == "peut"
            };
            if modal {
                j -= if hyphen { 2 } else { 1 };
                continue;
            }
        }
        if s.is_filler(j) || s.is_number(j) || word_in(s, j, &lex.modifiers) {
            continue;
        }
        // "avec vos sacs ou votre remorque": an alternative of a complement is a complement.
        if !alternative_seen && word_in(s, j, &lex.alternatives) {
            alternative_seen = true;
            continue;
        }
        if alternative_seen && !other_seen {
            other_seen = true;
            continue;
        }
        // One infinitive may stand between the preposition and the thing: "pour poser des étagères".
        let k = s.key(j);
        if !verb_seen && k.len() > 3 && (k.ends_with("er") || k.ends_with("ir") || k.ends_with("re")) {
            verb_seen = true;
            verb_at = j;
            continue;
        }
        return false;
    }
    false
}

/// Things that hold other things: "un carton de livres" offers the books.
const CONTAINERS: &[&str] = &[
    "carton",
    "sac",
    "boîte",
    "caisse",
    "cagette",
    "panier",
    "bac",
    "sachet",
    "seau",
    "bocal",
    "palette",
    "rouleau de peinture",
    "remorque",
    "brouette",
];

/// Words after which a word in -er/-ir/-re is an infinitive ("et ramasser", "peux monter").
const INFINITIVE_LEADS: &[&str] = &[
    "et", "m", "me", "nou", "vou", "te", "t", "peux", "peut", "pourrait", "pourriez", "pourrai", "veux", "veut",
    "faut", "doi", "doit", "aimerai", "voudrai", "aller", "va", "vai", "sai", "sait", "saurait",
];

/// What lies between two things: a list separator, an alternative ("ou"), or nothing.
enum Between {
    Separator,
    Alternative,
    Nothing,
}

fn between(s: &Stream, lex: &Lexicon, a: usize, b: usize) -> Between {
    for j in a..b {
        if matches!(s.punct(j), Some(',' | '+' | '&' | ':' | '/' | '\n')) || word_in(s, j, &lex.separators) {
            return Between::Separator;
        }
        if word_in(s, j, &lex.alternatives) {
            return Between::Alternative;
        }
    }
    Between::Nothing
}

/// What lies between the end of a kept thing and the things after it, read incrementally:
/// `separated(b)` answers `between(from, b)` is a separator, each word read at most once.
struct Gap {
    /// Words before this one were read and hold neither separator nor alternative.
    scanned: usize,
    /// An alternative ("ou") came first: nothing after it can be a separator any more.
    alternative: bool,
}

impl Gap {
    fn from(end: usize) -> Gap {
        Gap {
            scanned: end,
            alternative: false,
        }
    }

    fn separated(&mut self, s: &Stream, lex: &Lexicon, b: usize) -> bool {
        if self.alternative || b <= self.scanned {
            return false;
        }
        let found = between(s, lex, self.scanned, b);
        self.scanned = b;
        match found {
            Between::Separator => true,
            Between::Alternative => {
                self.alternative = true;
                false
            }
            Between::Nothing => false,
        }
    }
}

/// The things of a clause that are posts of their own.
fn kept_items(
    s: &Stream,
    lex: &Lexicon,
    f: &Found,
    span: &Span,
    cues: &[CueHit],
    direction: Option<Direction>,
) -> Vec<ItemHit> {
    let marks = within(&f.markers, span);
    // "je peux offrir des gâteaux en échange": the clause's things are the counterpart; but
    // "je cherche un déshumidificateur, en échange je peux…": what follows is.
    let mut cut = usize::MAX;
    for m in marks.iter().filter(|m| lex.markers[m.entry] == Marker::InReturn) {
        let after_comma = m.start > span.start && s.punct(m.start - 1) == Some(',');
        let named_before = within(&f.items, span).first().is_some_and(|h| h.end <= m.start);
        // "Cherche en retour des vêtements 2 ans", "…, et en échange je cherche qqn pour…":
        // a request says what it asks in return; its things are the post.
        if direction == Some(Direction::Request) && !named_before {
            continue;
        }
        if !(after_comma && named_before) {
            return Vec::new();
        }
        cut = cut.min(m.start);
    }
    // What follows "contre" is asked in return, unless "contre" is a word of a cue ("A donner
    // contre bons soins : 2 poules" gives the hens).
    let cut = marks
        .iter()
        .filter(|m| lex.markers[m.entry] == Marker::Counterpart)
        .filter(|m| {
            !cues.iter().any(|c| {
                c.start == m.start
                    && lex.cues[c.entry].direction.is_some()
                    && lex.cues[c.entry].mode != Some(Mode::Swap)
            })
        })
        .map(|m| m.start)
        .min()
        .unwrap_or(usize::MAX)
        .min(cut);
    let entry = |h: &ItemHit| &lex.items[h.entry];
    let mut hits: Vec<ItemHit> = Vec::new();
    let mut complements: Vec<ItemHit> = Vec::new();
    // The end of the last thing dropped as a complement: "pour vos confitures ou conserves"
    // drops both.
    let mut dropped_end: Option<usize> = None;
    let mut with_scan = span.start;
    let mut with_seen = false;
    // Whether a comma came after "avec": "avec sa housse, le chargeur et une souris" lists
    // what comes with the thing.
    let mut with_comma = false;
    for m in within(&f.items, span).iter().filter(|m| m.start < cut) {
        let h = ItemHit {
            entry: m.entry,
            start: m.start,
            end: m.end,
            in_parens: f.parens[m.start],
            restored: false,
            object: None,
        };
        // "a grey cat named Chaussette", "notre chien qui s'appelle Caramel": a name.
        if named_before(s, m.start) {
            continue;
        }
        // "5€ le cageot": the unit of a price is not a thing; "café et croissants offerts" is
        // a thank-you for the help asked, not a thing.
        if price_unit(s, h.start) || offered_after(s, lex, h.end, span.end) {
            continue;
        }
        // "Help !" is a cue, not a request for help in general; the words of a cue that
        // implies its thing are that thing ("2 places dans la voiture" is a lift, not a car).
        // A thing that reaches beyond the cue is named by it ("besoin de bras", "tente 2 places").
        // A thing inside a direction cue is a word of the cue ("ça tente qqn ?" offers no tent).
        if cues.iter().any(|c| {
            let e = &lex.cues[c.entry];
            c.start <= h.start
                && h.end <= c.end
                && (entry(&h).generic || e.implies.is_some() || (e.direction.is_some() && entry(&h).kind == Kind::Item))
        }) {
            continue;
        }
        // "Mon lave-linge fuit, qqn s'y connaît ?": the thing is what the help is about.
        // "qqn qui s'y connaît en scooter ?": the field named right after the cue is what the
        // help is about too.
        if entry(&h).kind == Kind::Item
            && cues.iter().any(|c| {
                lex.cues[c.entry].about_before
                    && (h.end <= c.start
                        || h.start == c.end + 1 && matches!(s.key_bytes(c.end), b"en" | b"in" | b"with"))
            })
        {
            continue;
        }
        // "poussette, habillage pluie inclus", "gants et sacs fournis": comes with the rest.
        if !hits.is_empty() && included_after(s, lex, h.end, span.end) {
            continue;
        }
        // "des plants de courgettes et de potimarrons": the head of the thing before also
        // rules the second complement; it is more of that thing, not a thing of its own.
        if hits.last().is_some_and(|p| shares_head(s, lex, p, h.start)) {
            continue;
        }
        // "nettoyeur haute pression avec la brosse et la rallonge": after "avec" following a
        // thing, the rest of the clause is what comes with it.
        if let Some(first) = hits.first() {
            while with_scan < h.start {
                // "une machine à coudre avec sa mallette, une luge, …": a comma and a new
                // article end what came with the thing; the list goes on.
                // A price before the comma closes the thing too ("lit bébé avec matelas 60€,
                // chaise haute 90€").
                let priced = with_scan > 0 && is_currency(s, with_scan - 1);
                if with_seen
                    && s.punct(with_scan) == Some(',')
                    && (priced || starts_new_thing(s, with_scan + 1, h.start))
                {
                    with_seen = false;
                }
                // "une baignoire avec son support et un transat": "et" and a new article end
                // it too, unless what follows is an accessory ("avec chargeur et 2 batteries").
                with_comma |= with_seen && s.punct(with_scan) == Some(',');
                if with_seen
                    && !with_comma
                    && s.is_word(with_scan)
                    && matches!(s.key_bytes(with_scan), b"et" | b"and")
                    && with_scan + 1 < h.start
                    && s.is_word(with_scan + 1)
                    && matches!(s.norm(with_scan + 1), "un" | "une" | "a" | "an")
                    && !entry(&h).accessory
                {
                    with_seen = false;
                }
                if with_scan >= first.end && s.is_word(with_scan) && matches!(s.key_bytes(with_scan), b"avec" | b"with")
                {
                    (with_seen, with_comma) = (true, false);
                }
                with_scan += 1;
            }
        }
        if with_seen && entry(&h).kind == Kind::Item {
            complements.push(h);
            continue;
        }
        // "je donne des plants, mes semis ont trop bien marché": a possessed thing that is the
        // subject of a verb after a post, with no cue after it, tells a story.
        let subject = !hits.is_empty()
            && entry(&h).kind == Kind::Item
            && possessive_subject(s, h.start, h.end, span.end)
            && !cues
                .iter()
                .any(|c| c.start >= h.end && lex.cues[c.entry].direction.is_some());
        let complement = entry(&h).kind == Kind::Item
            && (subject
                || after_preposition(s, lex, cues, span, h.start)
                || dropped_end.is_some_and(|e| only_links(s, lex, e, h.start)));
        // A service after "pour" next to a thing is its purpose: "je prête mon niveau laser,
        // pratique pour poser des étagères".
        let purpose = entry(&h).kind == Kind::Service
            && hits.iter().any(|x| !entry(x).generic)
            && purpose_before(s, h.start, span.start);
        if complement || purpose {
            dropped_end = Some(h.end);
            complements.push(h);
        } else {
            dropped_end = None;
            hits.push(h);
        }
    }
    // "qui pourrait dépanner une maman avec un lit bébé ?", "je peux dépanner en tondeuse":
    // when every thing of a clause is a complement, the first one is what it is about, unless
    // a thing named before takes its place ("J'ai une plancha, je la prête pour vos barbecues").
    let implied = cues.iter().any(|c| lex.cues[c.entry].implies.is_some());
    if hits.is_empty()
        && direction.is_some()
        && !implied
        && let Some(first) = complements.first()
    {
        hits.push(ItemHit {
            restored: true,
            ..*first
        });
    }
    // Things written side by side without a separator are one thing with its details
    // ("lit parapluie Chicco", "manette PS5", "batterie de voiture"); "ou" gives alternatives
    // of one post ("une cage ou un enclos").
    //
    // What lies between the last kept thing and the next one is read once: a run of things
    // side by side ("lit bébé lit bébé …") would otherwise rescan the whole run for each of
    // its things, quadratic in the length of the message.
    let mut merged: Vec<ItemHit> = Vec::with_capacity(hits.len());
    let mut gap = Gap::from(0);
    // cue_starts[i - span.start]: how many direction cues start before word i of the clause.
    let mut cue_starts = vec![0usize; span.end - span.start + 1];
    for c in cues.iter().filter(|c| lex.cues[c.entry].direction.is_some()) {
        if span.start <= c.start && c.start < span.end {
            cue_starts[c.start + 1 - span.start] += 1;
        }
    }
    for i in 1..cue_starts.len() {
        cue_starts[i] += cue_starts[i - 1];
    }
    for h in hits {
        // A direction cue between two things separates them ("L'épicerie cherche des bénévoles").
        let at = |i: usize| cue_starts[i.clamp(span.start, span.end) - span.start];
        let cue_between = |a: usize, b: usize| at(b) > at(a);
        if let Some(prev) = merged.last_mut()
            && !cue_between(prev.end, h.start)
            && !gap.separated(s, lex, h.start)
        {
            // A broad word gives way to the specific thing it introduces: "mon aide pour vos
            // soucis d'ordi", "aider ma fille à faire ses devoirs".
            // A container gives way to what it holds: "un carton de vieux vinyles"; one "à"
            // something is made for stays the thing ("un seau à tétines", "une boîte à œufs").
            let contents = CONTAINERS.contains(&entry(prev).name.as_str())
                && h.start - prev.end <= 6
                && (prev.end..h.start).all(|j| {
                    s.is_filler(j) || s.is_number(j) || word_in(s, j, &lex.modifiers) || s.punct(j) == Some('\'')
                })
                && !(prev.end..h.start).any(|j| matches!(s.key_bytes(j), b"a" | b"au" | b"aux"));
            if (entry(prev).generic || contents) && !entry(&h).generic {
                *prev = h;
                gap = Gap::from(h.end);
            }
            continue;
        }
        gap = Gap::from(h.end);
        merged.push(h);
    }
    let mut hits = merged;
    // "un lot d'outils de jardin : bêches, râteaux…", "un kit de ski : skis, bâtons…": a lot or
    // a kit whose content a colon lists is one thing.
    if let Some(k) = hits.iter().position(|h| collective_before(s, lex, h.start, span.start))
        && let Some(next) = hits.get(k + 1)
        && (hits[k].end..next.start).any(|j| s.punct(j) == Some(':'))
    {
        hits.truncate(k + 1);
    }
    // "des fournitures scolaires : cahiers, classeurs, crayons", "matériel de puériculture :
    // baignoire, transat": a thing followed by a colon and kinds of it (things of its
    // category) heads a list; the kinds are the posts.
    if let Some(k) =
        (0..hits.len().saturating_sub(2)).find(|&k| colon_opens_list(s, lex, hits[k].end, hits[k + 1].start))
        && hits[k + 1..]
            .iter()
            .all(|h| entry(h).kind == Kind::Item && !entry(h).generic && entry(h).category == entry(&hits[k]).category)
    {
        hits.remove(k);
    }
    if hits.iter().any(|h| !h.in_parens) {
        hits.retain(|h| !h.in_parens);
    } else if let Some(first) = hits.first()
        && let Some(head) = complements.iter().rev().find(|c| c.end <= first.start)
        && (head.end..first.start).all(|j| s.is_filler(j) || s.punct(j) == Some('('))
        && s.punct(first.start - 1) == Some('(')
    {
        // "servez-vous en légumes (tomates, haricots)": a head noun with examples in brackets
        // is one post, even when the head stood after a preposition.
        hits = vec![ItemHit {
            in_parens: false,
            ..*head
        }];
    } else if hits.len() >= 2
        && let Some(open) = (span.start..hits[0].start).rev().find(|&j| s.punct(j) == Some('('))
        && open > span.start
        && s.is_word(open - 1)
        && !(hits[0].start..hits[hits.len() - 1].start).any(|j| s.punct(j) == Some(')'))
    {
        // "des protections taille enfant (genouillères, coudières, protège-poignets)": kinds
        // listed in brackets after a noun the lexicon does not know are examples of one
        // thing; the first of them names it.
        hits = vec![ItemHit {
            in_parens: false,
            ..hits[0]
        }];
    }
    // An accessory beside a main thing goes with it, unless the clause is a list of three
    // things or more separated by commas ("À donner : cintres, housse, portant").
    let comma_list = hits.len() >= 3
        && hits
            .windows(2)
            .all(|w| (w[0].end..w[1].start).any(|j| s.punct(j) == Some(',')));
    if !comma_list && hits.iter().any(|h| !entry(h).accessory) {
        hits.retain(|h| !entry(h).accessory);
    }
    // A broad word in a comma list is a thing of its own ("des meubles, de la vaisselle, des
    // livres"), unless what follows it are examples of it: specific things of its category
    // ("mes outils de bricolage, perceuse, scie, ponceuse").
    if comma_list {
        let examples = |g: &ItemHit| {
            hits.iter()
                .any(|x| x.start > g.start && !entry(x).generic && entry(x).category == entry(g).category)
        };
        let heads: Vec<bool> = hits.iter().map(|h| entry(h).generic && examples(h)).collect();
        let mut k = 0;
        hits.retain(|_| {
            k += 1;
            !heads[k - 1]
        });
    }
    if !comma_list && hits.iter().any(|h| !entry(h).generic) {
        hits.retain(|h| !entry(h).generic);
    }
    // "table de jardin + 4 chaises": a thing that goes with a head named beside it.
    // Only when it follows its head closely, without a comma ("table, chaises, étagères" is a
    // list of three things).
    if hits.iter().any(|h| !entry(h).accessory_of.is_empty()) {
        let heads: Vec<(&str, usize)> = hits.iter().map(|h| (entry(h).name.as_str(), h.end)).collect();
        hits.retain(|h| {
            !entry(h).accessory_of.iter().any(|head| {
                heads.iter().any(|&(name, end)| {
                    name == head.as_str()
                        && end <= h.start
                        && h.start - end <= 8
                        && (end..h.start).all(|j| s.punct(j) != Some(','))
                })
            })
        });
    }
    // A service absorbs its object ("réparer une machine à laver"), not what a later cue asks
    // ("amener le frigo chez le réparateur, qqn a un diable ?").
    if let Some(pos) = hits.iter().position(|h| entry(h).absorbs) {
        let keep = hits[pos];
        let strong_after = cues
            .iter()
            .filter(|c| c.start >= keep.end && lex.cues[c.entry].direction.is_some() && lex.cues[c.entry].weight >= 3)
            .map(|c| c.start)
            .next()
            .unwrap_or(usize::MAX);
        // "réparer le moteur de ma débroussailleuse": the last thing of the service's phrase.
        if entry(&keep).takes_object_category {
            hits[pos].object = within(&f.items, span)
                .iter()
                .filter(|m| {
                    m.start >= keep.end
                        && m.start < strong_after
                        && lex.items[m.entry].kind == Kind::Item
                        && (keep.end..m.start).all(|j| s.is_word(j) || s.punct(j) == Some('\''))
                })
                .map(|m| m.entry)
                .last();
        }
        hits.retain(|h| {
            h.start <= keep.start || h.start >= strong_after || entry(h).kind == Kind::Service && !entry(h).generic
        });
    }
    // Things named before a strong cue are context when the cue is followed by things of its
    // own: "je pose du parquet, qqn aurait une scie ?".
    let strong = cues
        .iter()
        .filter(|c| lex.cues[c.entry].direction.is_some() && lex.cues[c.entry].weight >= 3)
        .map(|c| (c.start, c.end))
        .next();
    // A thing inside the cue counts as after it ("l'épicerie cherche des bénévoles").
    if let Some((cs, _)) = strong
        && hits.iter().any(|h| h.start >= cs)
        && hits.iter().any(|h| h.end <= cs)
    {
        hits.retain(|h| h.start >= cs);
    }
    let mut out: Vec<ItemHit> = Vec::with_capacity(hits.len());
    for h in hits {
        if !out.iter().any(|o| o.entry == h.entry) {
            out.push(h);
        }
    }
    out
}

/// Whether the thing starting at `next` is a second complement of the head noun of `prev`:
/// `prev` reads "<head> de <complement>" and names a thing of one word (the head: "plant"),
/// and only "et de" / "ou de" / ", de" lies between ("plants de courgettes et de potimarrons").
fn shares_head(s: &Stream, lex: &Lexicon, prev: &ItemHit, next: usize) -> bool {
    let e = &lex.items[prev.entry];
    // "plants de courgettes" is read as "plant" or as "plant de courgette": the head either way.
    let head_named = e.kind == Kind::Item && (!e.name.contains(' ') || e.name.split(' ').nth(1) == Some("de"));
    let has_complement = (prev.start + 1..prev.end).any(|j| matches!(s.key_bytes(j), b"de" | b"d"));
    let links = || {
        let mut j = prev.end;
        if j >= next || !(word_in(s, j, &lex.separators) || word_in(s, j, &lex.alternatives) || s.punct(j) == Some(','))
        {
            return false;
        }
        j += 1;
        if j >= next || !matches!(s.key_bytes(j), b"de" | b"d") {
            return false;
        }
        j += 1;
        while j < next && s.punct(j) == Some('\'') {
            j += 1;
        }
        j == next
    };
    head_named && has_complement && links()
}

/// Whether word `j` (before `limit`) opens a new thing of a list: an article or a number
/// ("…, une luge", "…, deux lampes").
fn starts_new_thing(s: &Stream, j: usize, limit: usize) -> bool {
    j < limit
        && (s.is_number(j)
            || s.is_word(j) && matches!(s.norm(j), "un" | "une" | "deux" | "trois" | "quatre" | "cinq" | "six"))
}

/// Whether a lot or a kit names the thing starting at `start`: "un lot d'outils", "un kit
/// complet de ski" (a few fillers and modifiers between).
fn collective_before(s: &Stream, lex: &Lexicon, start: usize, floor: usize) -> bool {
    let mut j = start;
    for _ in 0..5 {
        if j <= floor {
            return false;
        }
        j -= 1;
        if s.is_word(j)
            && matches!(
                s.key(j),
                "lot" | "kit" | "assortiment" | "panoplie" | "ensemble" | "set"
            )
        {
            return true;
        }
        let skip = s.punct(j) == Some('\'')
            || s.is_word(j)
                && (s.is_filler(j)
                    || word_in(s, j, &lex.modifiers)
                    || matches!(s.key_bytes(j), b"complet" | b"complete" | b"entier"));
        if !skip {
            return false;
        }
    }
    false
}

/// Whether "offert(e)(s)" follows the thing at `end`, possibly after more things of a list:
/// "café et croissants offerts", "bières offertes".
fn offered_after(s: &Stream, lex: &Lexicon, end: usize, limit: usize) -> bool {
    let mut j = end;
    let mut words = 0;
    while j < limit && words < 6 {
        if s.is_word(j) {
            if s.key(j).starts_with("offert") {
                return true;
            }
            if !(s.is_filler(j) || word_in(s, j, &lex.separators) || word_in(s, j, &lex.modifiers)) {
                words += 1;
                // One more noun of the list may stand between: "café et croissants offerts".
                if words > 2 {
                    return false;
                }
            }
        } else if !matches!(s.punct(j), Some(',' | '\'' | '-')) {
            return false;
        }
        j += 1;
    }
    false
}

/// Whether the thing at words `start..end` follows a possessive ("mes 6 poules") and is
/// followed by a conjugated verb ("ont", "sont", "pondent"): the subject of a sentence.
fn possessive_subject(s: &Stream, start: usize, end: usize, limit: usize) -> bool {
    let mut j = start;
    let mut owned = false;
    while j > 0 && start - j < 3 {
        j -= 1;
        if s.is_number(j) {
            continue;
        }
        owned = s.is_word(j)
            && matches!(
                s.key_bytes(j),
                b"mes" | b"mon" | b"ma" | b"nos" | b"notre" | b"my" | b"our"
            );
        break;
    }
    if !owned || end >= limit || !s.is_word(end) {
        return false;
    }
    let k = s.key(end);
    matches!(
        k,
        "a" | "ont" | "est" | "sont" | "va" | "vont" | "fait" | "font" | "etait" | "etaient" | "sera" | "seront"
    ) || (k.len() > 5 && k.ends_with("ent") && !k.ends_with("ment"))
}

/// Whether "inclus" / "compris" / "fourni" / "assorti" follows the thing ending at `end` (a
/// word or two later, or after more things joined by "et"): "habillage pluie inclus", "gants
/// et sacs fournis", "canapé + le fauteuil assorti". A comma ends the search: "poussette,
/// habillage pluie inclus" keeps the poussette.
fn included_after(s: &Stream, lex: &Lexicon, end: usize, limit: usize) -> bool {
    let mut words = 0;
    let mut joined = false;
    for j in end..limit.min(end + 8) {
        // "aquarium 100L, pompe, filtre et décorations compris": a comma list comes with it too.
        if s.punct(j) == Some(',') {
            joined = true;
            continue;
        }
        if !s.is_word(j) {
            return false;
        }
        let k = s.key(j);
        if k.starts_with("inclu")
            || k.starts_with("assorti")
            || matches!(k, "fourni" | "fournie" | "compri" | "included" | "provided")
        {
            return true;
        }
        if word_in(s, j, &lex.separators) {
            joined = true;
        } else if !(s.is_filler(j) || s.is_number(j) || word_in(s, j, &lex.modifiers)) {
            words += 1;
            if (words > 1 && !joined) || words > 3 {
                return false;
            }
        }
    }
    false
}

/// Whether word `i` follows a price and an article: "5€ le cageot", "2 euros la botte".
fn price_unit(s: &Stream, i: usize) -> bool {
    let mut j = i;
    let mut articles = 0;
    while j > 0 {
        j -= 1;
        match s.key(j) {
            "le" | "la" | "l" | "les" | "par" | "du" if articles == 0 => articles += 1,
            "euro" | "eur" | "balle" => return articles == 1,
            _ if s.punct(j) == Some('€') => return articles == 1,
            _ if s.is_soft_punct(j) => {}
            _ => return false,
        }
    }
    false
}

/// Whether "pour" / "to" / "afin de" stands right before word `i` (fillers aside).
fn purpose_before(s: &Stream, i: usize, floor: usize) -> bool {
    let mut j = i;
    while j > floor && i - j < 4 {
        j -= 1;
        if s.is_filler(j) || s.is_soft_punct(j) {
            continue;
        }
        return matches!(s.key_bytes(j), b"pour" | b"to" | b"afin" | b"for");
    }
    false
}

/// Only list links (separators, alternatives, fillers) between words `a` and `b`.
fn only_links(s: &Stream, lex: &Lexicon, a: usize, b: usize) -> bool {
    (a..b).all(|j| {
        !s.is_word(j) && matches!(s.punct(j), Some(',' | '+' | '&' | '/' | '\'' | '-'))
            || s.is_filler(j)
            || word_in(s, j, &lex.separators)
            || word_in(s, j, &lex.alternatives)
    })
}

/// Reads one clause.
pub fn read(s: &Stream, lex: &Lexicon, f: &Found, span: Span, sentence_withdrawn: bool) -> Reading {
    let (cues, refuses) = kept_cues(s, lex, f, &span);
    let (mut direction, mut strength) = direction_of(lex, &cues);
    let items = kept_items(s, lex, f, &span, &cues, direction);
    let has = |k: Marker| within(&f.markers, &span).iter().any(|m| lex.markers[m.entry] == k);
    let thanks = has(Marker::Thanks);
    // "Merci à Paul qui m'a prêté sa luge": thanks need a strong cue to be a post too.
    if thanks && strength < 3 {
        (direction, strength) = (None, 0);
    }
    let mut dates: Option<(DateRange, usize, usize)> = None;
    let (a, b) = (
        f.dates.partition_point(|d| d.start < span.start),
        f.dates.partition_point(|d| d.start < span.end),
    );
    for d in &f.dates[a..b.max(a)] {
        dates = Some(match dates {
            None => (DateRange { from: d.from, to: d.to }, d.start, d.end),
            Some((r, a, b)) => (
                DateRange {
                    from: r.from.min(d.from),
                    to: r.to.max(d.to),
                },
                a.min(d.start),
                b.max(d.end),
            ),
        });
    }
    let i = f.prices.partition_point(|p| p.0 < span.start);
    let price = f.prices.get(i).filter(|p| p.0 < span.end).copied();
    // "vélo d'appartement 40€, machine à raclette 10€": things with prices are for sale; a
    // price beside a story ("mes poules pondent trop, 2€ la boîte") completes what was offered
    // before.
    // "Le fest-noz aura lieu samedi. Entrée 6 euros, crêpes sur place": a price beside an event
    // by others sells nothing of the author's.
    if direction.is_none()
        && price.is_some()
        && items.iter().any(|h| !possessive_subject(s, h.start, h.end, span.end))
        && !thanks
        && !others_event(s, lex, f, span.start, span.end)
    {
        (direction, strength) = (Some(Direction::Offer), 2);
    }
    let no_longer_needed = direction == Some(Direction::Request) && has(Marker::NoLongerNeeded);
    if no_longer_needed {
        (direction, strength) = (None, 0);
    }
    // "c'est au 7e sans asc (jrigole ya l'asc)": a joke taken back in an aside, after words of
    // its own clause, takes back that clause only; alone ("Je donne mon mari. (je rigole)") it
    // takes back everything said before.
    let (mut retracts, mut aside) = (false, false);
    for m in within(&f.markers, &span)
        .iter()
        .filter(|m| lex.markers[m.entry] == Marker::Retraction)
    {
        let open = (span.start..m.start).rev().find(|&j| s.punct(j) == Some('('));
        match open {
            Some(o) if f.parens[m.start] && (span.start..o).any(|j| s.is_word(j)) => aside = true,
            _ => retracts = true,
        }
    }
    Reading {
        refuses: refuses || no_longer_needed,
        direction,
        strength,
        items,
        dates,
        price,
        withdrawn: sentence_withdrawn || aside,
        thanks,
        anaphora: has(Marker::Anaphora),
        retracts,
        cues,
        span,
    }
}

/// Prices: a number followed by € / euros / balles, or € followed by a number.
/// "max 40e", "10e/h": an "e" glued to a number is a euro sign, except an ordinal ("au 4e
/// étage", "le 2e", "2e main").
fn euro_e(s: &Stream, i: usize) -> bool {
    if i == 0 || !s.is_word(i) || s.key_bytes(i) != b"e" || !s.is_number(i - 1) || s.toks[i - 1].end != s.toks[i].start
    {
        return false;
    }
    let ordinal_before = i >= 2
        && s.is_word(i - 2)
        && matches!(
            s.norm(i - 2),
            "au" | "le"
                | "du"
                | "la"
                | "de"
                | "en"
                | "dans"
                | "sur"
                | "ma"
                | "mon"
                | "sa"
                | "son"
                | "niveau"
                | "classe"
        );
    let ordinal_after = i + 1 < s.len()
        && s.is_word(i + 1)
        && matches!(
            s.norm(i + 1),
            "etage"
                | "main"
                | "arrondissement"
                | "arr"
                | "siecle"
                | "annee"
                | "an"
                | "classe"
                | "fois"
                | "rang"
                | "edition"
                | "age"
                | "gauche"
                | "droite"
                | "porte"
                | "bat"
                | "batiment"
                | "escalier"
        );
    !ordinal_before && !ordinal_after
}

/// Whether token `i` names the currency of a price: "€", "euros", "balles", "10e".
fn is_currency(s: &Stream, i: usize) -> bool {
    s.punct(i) == Some('€') || matches!(s.key_bytes(i), b"euro" | b"eur" | b"balle" | b"boule") || euro_e(s, i)
}

pub fn prices(s: &Stream) -> Vec<(usize, usize, Price)> {
    let mut out = Vec::new();
    let is_cur = |i: usize| is_currency(s, i);
    for i in 0..s.len() {
        if !is_cur(i) {
            continue;
        }
        let number_at = |j: usize| -> Option<(usize, u64)> {
            if !s.is_number(j) {
                return None;
            }
            let whole: u64 = s.norm(j).parse().ok()?;
            // "12,50 €": a decimal part after a comma or a dot.
            if j >= 2 && s.is_number(j - 2) && matches!(s.punct(j - 1), Some(',' | '.')) && s.norm(j).len() <= 2 {
                let int: u64 = s.norm(j - 2).parse().ok()?;
                let cents = if s.norm(j).len() == 1 { whole * 10 } else { whole };
                return Some((j - 2, int.checked_mul(100)?.checked_add(cents)?));
            }
            Some((j, whole.checked_mul(100)?))
        };
        if i > 0
            && let Some((start, cents)) = number_at(i - 1)
        {
            out.push((start, i + 1, Price { cents }));
        } else if s.punct(i) == Some('€')
            && i + 1 < s.len()
            && let Some((_, cents)) = number_at(i + 1)
        {
            out.push((i, i + 2, Price { cents }));
        }
    }
    out
}
