//! Pure French (and English) post extraction: no IO, no async, no database.
//!
//! `Parser::parse` turns one message into the offers and requests it contains. The pipeline:
//! quoted lines are left out; the text is tokenised and folded ([`token`]), SMS spellings are
//! rewritten and typos corrected ([`text`]); the lexicon's patterns find cues, things and
//! markers ([`pattern`], [`lexicon`]); dates are resolved against the sending time ([`when`]);
//! the message is cut into clauses that each get one direction ([`clause`]); finally clauses
//! are assembled into posts here, with what a clause lacks borrowed from its neighbours
//! ("J'ai une plancha, je la prête": the thing in one clause, the cue in the next).

pub mod clause;
pub mod confidence;
pub mod explain;
pub mod lexicon;
pub mod model;
pub mod pattern;
pub mod quantity;
pub mod recall;
pub mod text;
pub mod token;
pub mod when;

use std::sync::OnceLock;

use chrono::{DateTime, FixedOffset, NaiveDate};
use chrono_tz::Tz;

use clause::{Found, ItemHit, Reading};
use confidence::Confidence;
use lexicon::{Lexicon, Marker};
pub use model::{Category, DateRange, Direction, Evidence, Factor, Kind, Mode, Post, Price, Role};

/// Posts at or above this confidence are sure enough to be announced without asking the
/// author. The learned confidence is calibrated on the corpora the rules were tuned on, where
/// posts are right more often than in messages by new writers; so the threshold keeps a
/// margin: at 0.97, 0.989 of the sure posts of dev + train2 are right (issue 13 asks 0.95;
/// `scripts/calibrate.py`, ARCHITECTURE.md).
pub const SURE_CONFIDENCE: f32 = 0.97;
use text::Stream;
pub use when::HolidayZone;

/// One message to read.
#[derive(Debug, Clone)]
pub struct ParseInput<'a> {
    pub text: &'a str,
    /// When it was sent; relative dates resolve against it.
    pub sent_at: DateTime<FixedOffset>,
    /// The area's time zone (Europe/Paris by default).
    pub tz: Tz,
    /// The area's school-holiday zone (B by default).
    pub zone: HolidayZone,
}

impl<'a> ParseInput<'a> {
    /// A message sent at `sent_at` in a Europe/Paris, zone B area.
    pub fn new(text: &'a str, sent_at: DateTime<FixedOffset>) -> Self {
        ParseInput {
            text,
            sent_at,
            tz: chrono_tz::Europe::Paris,
            zone: HolidayZone::default(),
        }
    }

    /// The local date the message was sent on.
    pub fn local_date(&self) -> NaiveDate {
        self.sent_at.with_timezone(&self.tz).date_naive()
    }
}

/// The parser: a compiled lexicon. Cheap to share between threads.
#[derive(Debug)]
pub struct Parser {
    lex: Lexicon,
    conf: confidence::Confidence,
    recall: recall::Recall,
}

/// A thing of a post, as found or borrowed.
#[derive(Debug, Clone)]
struct Thing {
    name: String,
    kind: Kind,
    category: model::Category,
    span: (usize, usize),
    /// 2: from the lexicon, 1: corrected typo, 0: guessed.
    sureness: u8,
    /// Its first word in the stream (`usize::MAX` when it was not read in this clause).
    at: usize,
    /// Read from a cue that implies it ("2 places dans la voiture": a lift).
    implied: bool,
    /// An accessory or a detail in parentheses: completes a previous post rather than making one.
    minor: bool,
    /// A broad word ("coup de main") that gives way to a specific thing named nearby.
    generic: bool,
    /// Named as lacking ("je n'ai plus de cartouches"): it may be asked for, never offered.
    absent: bool,
    dates: Option<(DateRange, usize, usize)>,
}

impl Parser {
    /// A parser with this lexicon and the built-in confidence weights.
    pub fn new(lex: Lexicon) -> Self {
        Parser::with_confidence(lex, confidence::Confidence::embedded())
    }

    /// A parser with this lexicon, these confidence weights and the built-in second reader.
    pub fn with_confidence(lex: Lexicon, conf: confidence::Confidence) -> Self {
        Parser::with_models(lex, conf, recall::Recall::embedded())
    }

    pub fn with_models(lex: Lexicon, conf: confidence::Confidence, recall: recall::Recall) -> Self {
        Parser { lex, conf, recall }
    }

    /// The same parser with other weights for the second reader.
    pub fn with_recall(self, recall: recall::Recall) -> Self {
        Parser { recall, ..self }
    }

    pub fn recall(&self) -> &recall::Recall {
        &self.recall
    }

    /// The lexicon of a directory (items.toml, grammar.toml) and its confidence.toml and
    /// recall.toml when it has them (else the built-in weights).
    pub fn load_dir(dir: &std::path::Path) -> Result<Parser, lexicon::LexiconError> {
        let lex = Lexicon::load_dir(dir)?;
        let conf = match read_optional(&dir.join("confidence.toml"))? {
            Some((file, src)) => confidence::Confidence::from_source(&file, &src)?,
            None => confidence::Confidence::embedded(),
        };
        let recall = match read_optional(&dir.join("recall.toml"))? {
            Some((file, src)) => recall::Recall::from_source(&file, &src)?,
            None => recall::Recall::embedded(),
        };
        Ok(Parser::with_models(lex, conf, recall))
    }

    pub fn confidence(&self) -> &confidence::Confidence {
        &self.conf
    }

    /// The parser with the lexicon built into the binary.
    pub fn embedded() -> &'static Parser {
        static P: OnceLock<Parser> = OnceLock::new();
        P.get_or_init(|| Parser::new(Lexicon::embedded()))
    }

    pub fn lexicon(&self) -> &Lexicon {
        &self.lex
    }

    /// The posts of one message, in order of appearance.
    pub fn parse(&self, input: &ParseInput) -> Vec<Post> {
        self.parse_keeping(input, self.conf.drop_below, true)
    }

    /// The posts of the rules alone, without the second reader.
    pub fn parse_rules(&self, input: &ParseInput) -> Vec<Post> {
        self.parse_keeping(input, self.conf.drop_below, false)
    }

    /// What the second reader weighs in a message, and the things it could post (None when it
    /// may not speak): what `voisinage parse --features` shows and scripts/learn-recall.py
    /// learns from.
    pub fn recall_inputs(&self, input: &ParseInput) -> (Vec<String>, Option<Vec<String>>) {
        let (stream, found) = self.analyse(input);
        let features = recall::features(&self.lex, &stream, &found);
        if self.is_ad(&found) {
            return (features, None);
        }
        let readings = self.readings(&stream, &found);
        let things = recall::candidates(&self.lex, &stream, &readings)
            .map(|v| v.iter().map(|c| self.lex.items[c.entry].name.clone()).collect());
        (features, things)
    }

    /// Two or more business markers: an advertisement, no post whatever is said.
    fn is_ad(&self, found: &Found) -> bool {
        found
            .markers
            .iter()
            .filter(|m| self.lex.markers[m.entry] == Marker::Business)
            .count()
            >= 2
    }

    /// Every post the rules propose, including those the learned confidence drops (for
    /// `voisinage parse --why`, which the learning script reads).
    pub fn candidates(&self, input: &ParseInput) -> Vec<Post> {
        self.parse_keeping(input, 0.0, false)
    }

    fn parse_keeping(&self, input: &ParseInput, min_confidence: f32, second_reader: bool) -> Vec<Post> {
        let (stream, found) = self.analyse(input);
        let ad = self.is_ad(&found);
        let readings = if ad { Vec::new() } else { self.readings(&stream, &found) };
        let mut posts = self.assemble(input.text, &stream, &found, &readings);
        posts.retain(|p| p.confidence >= min_confidence);
        // The rules found nothing: the second reader may.
        if posts.is_empty() && !ad && second_reader {
            posts = recall::posts(&self.lex, &self.recall, &stream, &found, &readings);
        }
        // How many of each offered thing (loans may run on each copy, issue 16).
        let offers = posts.iter().filter(|p| p.direction == Direction::Offer).count();
        if posts
            .iter()
            .any(|p| p.direction == Direction::Offer && p.kind == Kind::Item)
        {
            let toks = quantity::counting_tokens(stream.toks.iter());
            for p in posts
                .iter_mut()
                .filter(|p| p.direction == Direction::Offer && p.kind == Kind::Item)
            {
                p.copies = quantity::copies_in(&toks, &p.item, offers == 1);
            }
        }
        posts
    }

    /// Tokenises and runs every matcher (exposed for `--explain`).
    pub fn analyse(&self, input: &ParseInput) -> (Stream, Found) {
        let lex = &self.lex;
        let quoted = quoted_ranges(input.text);
        let mut stream = Stream::build(input.text, &quoted, &lex.normalizer);
        let mut scratch = pattern::Scratch::for_stream(stream.len());
        let markers = lex.marker_set.find_in(&stream, &mut scratch);
        // Idioms hide their words from everything ("j'en ai plein les bras"); then things are
        // found; then ignored phrases ("rendre visite", "rendre l'âme") hide cue words only.
        for m in &markers {
            if lex.markers[m.entry] == Marker::Idiom {
                for i in m.start..m.end {
                    stream.blank(i);
                }
            }
        }
        let mut items = lex.item_set.find_in(&stream, &mut scratch);
        // "rue de la Roquette", "impasse du Moulin": a street's name is no thing.
        items.retain(|m| !street_name(&stream, m.start));
        // "je livre dans la commune", "je le plante", "ça aspire bien": a thing's one word
        // right after a subject pronoun is a verb.
        items.retain(|m| {
            !(m.end == m.start + 1 && lex.items[m.entry].kind == Kind::Item && verb_after_subject(&stream, m.start))
        });
        for m in &markers {
            if lex.markers[m.entry] == Marker::Ignore {
                for i in m.start..m.end {
                    stream.blank(i);
                }
            }
        }
        let ctx = when::DateCtx {
            today: input.local_date(),
            zone: input.zone,
        };
        let mut dates = when::find_when(&stream.toks, &ctx);
        // "le mien a cramé ce matin": a date right after a past participle says when that
        // happened, not when the post is for.
        dates.retain(|d| !(d.start > 0 && past_participle(input.text, &stream, d.start - 1)));
        // "il démarre plus depuis la drache de dimanche": what has lasted since a date is a
        // story, not when the post is for.
        dates.retain(|d| !since_before(input.text, &stream, d.start));
        let found = Found {
            cues: lex.cue_set.find_in(&stream, &mut scratch),
            items,
            dates,
            prices: clause::prices(&stream),
            parens: clause::paren_depths(&stream),
            quoted,
            markers,
        };
        (stream, found)
    }

    /// Reads every clause of an analysed message.
    pub fn readings(&self, stream: &Stream, found: &Found) -> Vec<Reading> {
        let lex = &self.lex;
        let spans = clause::clauses(stream, lex, found);
        let sentences = clause::sentences(stream);
        let withdrawn: Vec<bool> = sentences
            .iter()
            .map(|&(a, b)| {
                let span = clause::Span {
                    start: a,
                    end: b,
                    sentence: 0,
                };
                clause::within(&found.markers, &span)
                    .iter()
                    .any(|m| lex.markers[m.entry] == Marker::Withdrawal)
            })
            .collect();
        let mut readings: Vec<Reading> = spans
            .into_iter()
            .map(|sp| {
                clause::read(
                    stream,
                    lex,
                    found,
                    sp,
                    withdrawn.get(sp.sentence).copied().unwrap_or(false),
                )
            })
            .collect();
        self.drop_own_activities(&mut readings);
        self.give_in_return(stream, &mut readings);
        readings
    }

    /// "je cherche une baby-sitter, et en échange je garde vos enfants", "jcherche un siège
    /// auto, jdonne mon cosy en échange": what the author gives in return for a request is its
    /// counterpart (the request becomes a swap), not an offer of its own.
    fn give_in_return(&self, s: &Stream, readings: &mut [Reading]) {
        let lex = &self.lex;
        let mut asked: Option<usize> = None;
        for i in 0..readings.len() {
            if readings[i].retracts || readings[i].withdrawn {
                asked = None;
                continue;
            }
            match (readings[i].direction, asked) {
                (Some(Direction::Request), _) => asked = Some(i),
                (Some(Direction::Offer), Some(q)) => {
                    let span = readings[i].span;
                    let before = readings[i - 1].span;
                    let opens = (span.start..span.end).any(|j| in_return_at(s, j, span.end));
                    let closed = (before.end.saturating_sub(4).max(before.start)..before.end)
                        .any(|j| in_return_at(s, j, before.end));
                    // "je recherche un lit 90, j'ai un lit à barreaux à échanger": a thing "to
                    // swap" right after a request, with no counterpart of its own, is the
                    // request's counterpart.
                    let to_swap = q + 1 == i && swapped_without_counterpart(s, span.start, span.end);
                    if !(opens || closed || to_swap) {
                        continue;
                    }
                    let swaps: Vec<clause::CueHit> = readings[i]
                        .cues
                        .iter()
                        .filter(|c| {
                            let e = &lex.cues[c.entry];
                            e.mode == Some(Mode::Swap) && (e.direction.is_none() || to_swap)
                        })
                        .copied()
                        .collect();
                    readings[q].cues.extend(swaps);
                    let r = &mut readings[i];
                    r.items.clear();
                    r.cues.clear();
                    r.direction = None;
                    r.strength = 0;
                    r.dates = None;
                    r.price = None;
                }
                _ => {}
            }
        }
    }

    /// "je voudrais réparer la lampe, qqn aurait un fer à souder ?" (or the other way round):
    /// an activity the author only wishes (a weak cue, services only) beside a firm request
    /// for a tool is what the tool is for, not a request of its own. A retraction or a
    /// withdrawal separates what comes before it from what follows.
    fn drop_own_activities(&self, readings: &mut [Reading]) {
        let lex = &self.lex;
        let asks_tool = |r: &Reading| {
            r.direction == Some(Direction::Request)
                && r.strength >= 3
                && r.items.iter().any(|h| lex.items[h.entry].kind == Kind::Item)
        };
        let mut start = 0;
        while start < readings.len() {
            let end = readings[start..]
                .iter()
                .position(|r| r.retracts || r.withdrawn)
                .map_or(readings.len(), |i| start + i + 1);
            let segment = &mut readings[start..end];
            if segment.iter().any(asks_tool) {
                for r in segment.iter_mut() {
                    let services_only =
                        !r.items.is_empty() && r.items.iter().all(|h| lex.items[h.entry].kind == Kind::Service);
                    if r.direction == Some(Direction::Request) && r.strength < 3 && services_only {
                        r.items.clear();
                        r.direction = None;
                        r.strength = 0;
                    }
                }
            }
            start = end;
        }
    }

    fn assemble(&self, text: &str, s: &Stream, found: &Found, readings: &[Reading]) -> Vec<Post> {
        let lex = &self.lex;
        let sentences = clause::sentences(s);
        let mut posts: Vec<Post> = Vec::new();
        // "> qq1 aurait un escabeau ?\nOui, je te le prête": the quoted message names the thing.
        // It only answers to a strong cue ("Super geste, j'espère qu'il trouvera preneur" is not
        // a request for the sofa).
        let mut quoted: Vec<Thing> = self.quoted_things(text, &found.quoted);
        let mut pending: Vec<Thing> = Vec::new();
        let mut last: Vec<usize> = Vec::new();
        let mut last_dir: Option<Direction> = None;
        let mut free_dates: Option<(DateRange, usize, usize)> = None;
        // Whether those dates are the author's move ("jdois rendre les clés vendredi, je donne…").
        let mut free_moving = false;
        let byte = |a: usize, b: usize| -> (usize, usize) {
            if a >= b || b > s.len() {
                (0, 0)
            } else {
                (s.toks[a].start, s.toks[b - 1].end)
            }
        };

        for r in readings {
            // "…, sinon je loue chez Kiloutou": the author's plan B is no post.
            if plan_b(s, &r.span) {
                continue;
            }
            if r.retracts {
                posts.clear();
                pending.clear();
                last.clear();
                continue;
            }
            if r.withdrawn {
                pending.clear();
                last.clear();
                continue;
            }
            let mut things: Vec<Thing> = r
                .items
                .iter()
                .filter(|h| !past_participle(text, s, h.start))
                .map(|h| self.thing(text, s, h, r.dates))
                .collect();
            // "je cherche un alambic à emprunter pour distiller nos poires": when every thing
            // of the clause is a complement, an unknown thing right after a strong cue, before
            // them, is what it is about.
            if r.strength >= 3
                && !r.items.is_empty()
                && r.items.iter().all(|h| h.restored)
                && let Some(first) = things.first()
                && let Some(g) = self.guess(text, s, r)
                && g.span.1 <= first.span.0
            {
                things = vec![g];
            }
            let Some(dir) = r.direction else {
                // Dates said beside the request ("Nous partons du 19 décembre au 3 janvier.
                // Qqn pourrait…"); a whole month is rather context ("naissance prévue en juin").
                // "Sinon ça part au recyclage jeudi": what happens otherwise is no date of the post.
                let otherwise = matches!(s.key_bytes(r.span.start), b"sinon" | b"otherwise");
                if !r.thanks
                    && !otherwise
                    && free_dates.is_none()
                    && let Some(d) = r.dates
                    && !whole_month(d.0)
                {
                    free_dates = Some(d);
                    free_moving = moves_out(s, &r.span);
                }
                if !things.is_empty() {
                    if lacks(s, &r.span) {
                        for t in things.iter_mut() {
                            t.absent = true;
                        }
                    }
                    if !r.thanks {
                        pending.extend(things);
                        pending.truncate(6);
                    }
                    // "Qqn a une fontaine à chocolat ? Je la rends avec des chocolats": a price or a
                    // mode said beside other things still completes the post before.
                    if r.price.is_some() || r.cues.iter().any(|c| lex.cues[c.entry].mode.is_some()) {
                        self.enrich(&mut posts, &last, r, false, s);
                    }
                } else {
                    self.enrich(&mut posts, &last, r, false, s);
                }
                continue;
            };
            // The same thing named again takes the dates said with it before ("Je monte à Lyon
            // en voiture vendredi, il me reste 2 places").
            if r.dates.is_none() {
                for t in things.iter_mut() {
                    if let Some(p) = pending.iter().find(|p| p.name == t.name && p.dates.is_some()) {
                        t.dates = p.dates;
                    }
                }
            }
            // "Heading to IKEA with an empty van, room for 2 people": the vehicle of a lift
            // offered is its means, not the post.
            if dir == Direction::Offer
                && !things.is_empty()
                && let Some(lift) = self.implied_by_strong_offer(s, r)
                && things
                    .iter()
                    .all(|t| t.kind == Kind::Item && t.category == lift.category)
            {
                things = vec![lift];
            }
            let mut borrowed = false;
            // Details and accessories after a post complete it ("je peux prêter la mienne
            // (attelage standard)"); a broad word gives way to what was named before
            // ("je dois remplir un dossier… Qqn pourrait m'aider ?"); a broad thing only to
            // things of its kind ("elle tricote des bonnets, si vous avez de la laine…" asks
            // for the wool).
            let gives_way = |t: &Thing| {
                t.generic && (t.kind == Kind::Service || t.minor || pending.iter().any(|p| p.category == t.category))
            };
            if !things.is_empty() && things.iter().all(gives_way) && !pending.is_empty() {
                things.clear();
            }
            // "qqn peut me prêter la sienne le temps qu'on la fasse réparer": the pronoun stands
            // for the thing named before; what it is borrowed for is no post.
            let borrows = r.cues.iter().any(|c| {
                let e = &lex.cues[c.entry];
                e.direction == Some(Direction::Request) && e.mode == Some(Mode::Loan)
            });
            if r.anaphora && borrows && !pending.is_empty() && things.iter().all(|t| t.kind == Kind::Service) {
                things.clear();
            }
            // What the author lacks is never offered ("je n'ai plus de cartouches, je la donne"),
            // and a cue that implies its thing names it ("Je n'ai pas de voiture, si qqn va à
            // Ikea samedi…" asks for a lift, not a car).
            if dir == Direction::Offer || self.implied(s, r).is_some() {
                pending.retain(|t| !t.absent);
            }
            // "Mon lave-linge fuit, qqn s'y connaît ?": a cue that implies a service asks for it;
            // the things named before are what it is for, not what is asked.
            let implied_service = self.implied(s, r).filter(|t| t.kind == Kind::Service);
            if things.is_empty()
                && !pending.is_empty()
                && let Some(mut t) = implied_service.filter(|_| pending.iter().all(|p| p.kind == Kind::Item))
            {
                // "Mon scooter démarre plus, qqn s'y connaît ?": a repair is of its thing's kind.
                let of_object = lex
                    .by_name
                    .get(&t.name)
                    .is_some_and(|&i| lex.items[i].takes_object_category);
                if of_object && let Some(p) = pending.last() {
                    t.category = p.category;
                }
                pending.clear();
                things.push(t);
            }
            if things.is_empty() && !pending.is_empty() {
                things = std::mem::take(&mut pending);
                borrowed = true;
            }
            if things.is_empty() && r.strength >= 3 && !quoted.is_empty() {
                things = std::mem::take(&mut quoted);
                borrowed = true;
            }
            if !things.is_empty() && things.iter().all(|t| t.minor) && !last.is_empty() && last_dir == Some(dir) {
                self.enrich(&mut posts, &last, r, last_dir == Some(dir), s);
                continue;
            }
            if things.is_empty() {
                if let Some(t) = self.implied(s, r) {
                    things.push(t);
                } else if r.anaphora && !last.is_empty() && last_dir != Some(dir) {
                    things = last
                        .iter()
                        .map(|&i| Thing {
                            name: posts[i].item.clone(),
                            kind: posts[i].kind,
                            category: posts[i].category,
                            span: (0, 0),
                            sureness: 2,
                            implied: false,
                            at: usize::MAX,
                            minor: false,
                            generic: false,
                            absent: false,
                            dates: None,
                        })
                        .collect();
                } else if !last.is_empty() {
                    self.enrich(&mut posts, &last, r, last_dir == Some(dir), s);
                    continue;
                } else if r.strength >= 3
                    && !sentence_names_things(sentences, found, r.span.sentence)
                    && let Some(t) = self.guess(text, s, r)
                {
                    things.push(t);
                }
            }
            pending.clear();
            if things.is_empty() {
                continue;
            }
            last.clear();
            last_dir = Some(dir);
            for t in things {
                let mode = clause::mode_of(lex, &r.cues, t.kind, r.price.is_some());
                let dates = r.dates.or(t.dates);
                let mut evidence = Vec::new();
                for c in &r.cues {
                    let e = &lex.cues[c.entry];
                    let (a, b) = byte(c.start, c.end);
                    if e.direction == Some(dir) {
                        evidence.push(Evidence {
                            role: Role::Direction,
                            span: a..b,
                        });
                    }
                    if e.mode.is_some() && e.mode == mode {
                        evidence.push(Evidence {
                            role: Role::Mode,
                            span: a..b,
                        });
                    }
                }
                if t.span.1 > t.span.0 {
                    evidence.push(Evidence {
                        role: Role::Item,
                        span: t.span.0..t.span.1,
                    });
                }
                if let Some((_, a, b)) = dates {
                    let (x, y) = byte(a, b);
                    evidence.push(Evidence {
                        role: Role::When,
                        span: x..y,
                    });
                }
                if let Some((a, b, _)) = r.price {
                    let (x, y) = byte(a, b);
                    evidence.push(Evidence {
                        role: Role::Price,
                        span: x..y,
                    });
                    if mode == Some(Mode::Sale) {
                        evidence.push(Evidence {
                            role: Role::Mode,
                            span: x..y,
                        });
                    }
                }
                let lo = evidence.iter().map(|e| e.span.start).min().unwrap_or(0);
                let hi = evidence.iter().map(|e| e.span.end).max().unwrap_or(0);
                let why = confidence_factors(
                    &self.conf,
                    &Weighed {
                        strength: r.strength,
                        against: opposing_weight(lex, &r.cues, dir),
                        sureness: t.sureness,
                        implied: t.implied,
                        generic: t.generic,
                        has_mode: mode.is_some(),
                        borrowed,
                        long: text.len() > 200,
                        distance: if borrowed {
                            None
                        } else {
                            cue_distance(lex, &r.cues, dir, t.at, s)
                        },
                        complement_of_noun: t.at != usize::MAX
                            && t.at > 0
                            && matches!(s.key_bytes(t.at - 1), b"a" | b"de" | b"d" | b"of")
                            && t.at >= 2
                            && s.is_word(t.at - 2)
                            && !s.is_filler(t.at - 2)
                            && !r.cues.iter().any(|c| c.end + 1 >= t.at && c.end <= t.at),
                    },
                );
                last.push(posts.len());
                posts.push(Post {
                    direction: dir,
                    kind: t.kind,
                    mode,
                    item: t.name,
                    category: t.category,
                    when: dates.map(|d| d.0),
                    price: r.price.map(|p| p.2),
                    confidence: 0.0,
                    copies: 1,
                    span: lo..hi,
                    evidence,
                    confidence_why: why,
                });
            }
        }
        if let Some((d, a, b)) = free_dates {
            let (x, y) = byte(a, b);
            // A post without dates takes them; a post with a wider period is narrowed
            // ("pendant les vacances de février ? On part du 14 au 21").
            // The dates of the author's move are not those of what the move makes them give or
            // sell; a request (help with the move) still takes them.
            for p in posts
                .iter_mut()
                .filter(|p| !(free_moving && p.direction == Direction::Offer))
            {
                let narrower = p.when.is_some_and(|w| w.from <= d.from && d.to <= w.to && w != d);
                if p.when.is_none() || narrower {
                    p.when = Some(d);
                    p.evidence.push(Evidence {
                        role: Role::When,
                        span: x..y,
                    });
                }
            }
        }
        let mut posts = merge_repeats(&self.conf, posts);
        message_factors(&self.conf, &mut posts, text);
        posts
    }

    /// A clause that names nothing new completes the previous posts: their mode and price
    /// always, their dates when it speaks in the same direction ("Dispo tout le mois de mars").
    fn enrich(&self, posts: &mut [Post], last: &[usize], r: &Reading, same_direction: bool, s: &Stream) {
        for &i in last {
            let p = &mut posts[i];
            if p.mode.is_none()
                && let Some(m) = clause::mode_of(&self.lex, &r.cues, p.kind, r.price.is_some())
            {
                p.mode = Some(m);
            }
            if p.price.is_none() {
                p.price = r.price.map(|x| x.2);
            }
            if same_direction
                && p.when.is_none()
                && let Some((d, a, b)) = r.dates
            {
                p.when = Some(d);
                p.evidence.push(Evidence {
                    role: Role::When,
                    span: s.toks[a].start..s.toks[b - 1].end,
                });
            }
        }
    }

    /// The first thing named in the quoted lines of a reply: it waits for a cue like any other.
    fn quoted_things(&self, text: &str, quoted: &[(usize, usize)]) -> Vec<Thing> {
        if quoted.is_empty() {
            return Vec::new();
        }
        // Skip everything but the quotes.
        let mut outside = Vec::new();
        let mut pos = 0;
        for &(a, b) in quoted {
            if a > pos {
                outside.push((pos, a));
            }
            pos = b;
        }
        if pos < text.len() {
            outside.push((pos, text.len()));
        }
        let s = Stream::build(text, &outside, &self.lex.normalizer);
        let first = self.lex.item_set.find(&s).into_iter().next();
        first
            .map(|m| {
                let h = ItemHit {
                    entry: m.entry,
                    start: m.start,
                    end: m.end,
                    in_parens: false,
                    restored: false,
                    object: None,
                };
                let mut t = self.thing(text, &s, &h, None);
                t.sureness = 1;
                // Its words are in the quote's own stream, not in the message's.
                t.span = (0, 0);
                t.at = usize::MAX;
                t
            })
            .into_iter()
            .collect()
    }

    fn thing(&self, text: &str, s: &Stream, h: &ItemHit, dates: Option<(DateRange, usize, usize)>) -> Thing {
        let e = &self.lex.items[h.entry];
        let corrected = (h.start..h.end).any(|i| s.corrected[i]);
        let name = match e.kind {
            Kind::Item => self
                .unknown_head(text, s, h.start)
                .map(|(head, prep)| format!("{head} {prep}{}", e.name)),
            Kind::Service => None,
        };
        Thing {
            name: name.unwrap_or_else(|| e.name.clone()),
            kind: e.kind,
            category: h.object.map_or(e.category, |o| self.lex.items[o].category),
            span: (s.toks[h.start].start, s.toks[h.end - 1].end),
            sureness: if corrected { 1 } else { 2 },
            implied: false,
            at: h.start,
            minor: e.accessory || h.in_parens || h.restored,
            generic: e.generic || h.restored,
            absent: false,
            dates,
        }
    }

    /// "un fendeur de bûches", "une baratte à beurre", "du marc d'olive": a thing of the
    /// lexicon that completes a noun the lexicon does not know, right after a determiner, is
    /// what that noun is made of or for; the unknown noun is the thing. Returns the noun
    /// (singular, as written) and its preposition ("de ", "d'", "à ").
    fn unknown_head(&self, text: &str, s: &Stream, at: usize) -> Option<(String, &'static str)> {
        let lex = &self.lex;
        if at < 3 {
            return None;
        }
        let prep = match (s.key(at - 1), s.punct(at - 1)) {
            ("de", _) => "de ",
            ("a", _) => "à ",
            (_, Some('\'')) if at >= 4 && s.key(at - 2) == "d" => "d'",
            _ => return None,
        };
        let head = if prep == "d'" { at - 3 } else { at - 2 };
        let before = head.checked_sub(1)?;
        let key = s.key(head);
        let determined = s.is_filler(before) || s.is_number(before) || lex.modifiers.contains(s.key(before));
        // The known keys hold the lexicon's words and the grammar's word lists (fillers,
        // modifiers, prepositions, not_items…).
        let unknown = s.is_word(head)
            && !s.is_number(head)
            && !s.is_filler(head)
            && !s.corrected[head]
            && key.chars().count() >= 3
            && !lex.normalizer.known.contains(key)
            && !MEASURES.contains(&key);
        if !(determined && unknown) {
            return None;
        }
        Some((singular_as_written(&text[s.toks[head].start..s.toks[head].end]), prep))
    }

    fn implied(&self, s: &Stream, r: &Reading) -> Option<Thing> {
        r.cues.iter().find_map(|c| {
            let name = self.lex.cues[c.entry].implies.as_ref()?;
            let &i = self.lex.by_name.get(name)?;
            let e = &self.lex.items[i];
            Some(Thing {
                name: e.name.clone(),
                kind: e.kind,
                category: e.category,
                span: (s.toks[c.start].start, s.toks[c.end - 1].end),
                sureness: 1,
                implied: true,
                at: usize::MAX,
                minor: false,
                absent: false,
                generic: false,
                dates: None,
            })
        })
    }

    /// The service implied by a strong offer cue of the clause ("room for", "place dans ma
    /// voiture"), if one implies a service.
    fn implied_by_strong_offer(&self, s: &Stream, r: &Reading) -> Option<Thing> {
        let strong = r.cues.iter().any(|c| {
            let e = &self.lex.cues[c.entry];
            e.implies.is_some() && e.direction == Some(Direction::Offer) && e.weight >= 3
        });
        self.implied(s, r).filter(|t| strong && t.kind == Kind::Service)
    }

    /// A thing the lexicon does not know, read right after a strong cue ("je donne un
    /// tabouret"): the first content word, singular, as written.
    fn guess(&self, text: &str, s: &Stream, r: &Reading) -> Option<Thing> {
        let lex = &self.lex;
        let cue = r
            .cues
            .iter()
            .filter(|c| lex.cues[c.entry].direction == r.direction)
            .max_by_key(|c| lex.cues[c.entry].weight)?;
        let mut j = cue.end;
        let limit = r.span.end.min(cue.end + 8);
        while j < limit {
            if s.is_soft_punct(j) || s.punct(j) == Some(':') {
                j += 1;
                continue;
            }
            if !s.is_word(j) {
                return None;
            }
            // "à qui voudrait se lancer": after an object pronoun comes a verb, no thing.
            if matches!(s.key(j), "me" | "m" | "te" | "t" | "se" | "s" | "lui" | "vous" | "nous") {
                return None;
            }
            // "je cherche un peu de levain": a quantity is not the thing.
            if s.is_filler(j) || s.is_number(j) || lex.modifiers.contains(s.key(j)) || MEASURES.contains(&s.key(j)) {
                j += 1;
                continue;
            }
            break;
        }
        if j >= limit || s.is_number(j) {
            return None;
        }
        let key = s.key(j);
        let known = |list: &[String]| list.iter().any(|w| w == key);
        if key.len() < 3
            || known(&lex.not_items)
            || known(&lex.prepositions)
            || known(&lex.pronouns)
            || r.cues.iter().any(|c| c.start <= j && j < c.end)
            || found_cue_word(lex, key)
            || infinitive_after_modal(s, j)
        {
            return None;
        }
        let t = &s.toks[j];
        let name = singular_as_written(&text[t.start..t.end]);
        Some(Thing {
            name,
            kind: Kind::Item,
            category: model::Category::Autre,
            span: (t.start, t.end),
            sureness: 0,
            implied: false,
            at: usize::MAX,
            minor: false,
            absent: false,
            generic: false,
            dates: None,
        })
    }
}

/// Whether the date at word `at` follows "depuis" / "since": right after it and its small
/// words ("depuis dimanche", "depuis ce matin"), or after one event of that day ("depuis la
/// drache de dimanche"); not "un trajet depuis Orly le 2 janvier", where it says from where.
fn since_before(text: &str, s: &Stream, at: usize) -> bool {
    let since = |j: usize| s.is_word(j) && matches!(s.key_bytes(j), b"depui" | b"depuis" | b"since");
    let mut j = at;
    // "… de dimanche": one lower-case word and "de" before the date.
    if j >= 2
        && s.is_word(j - 1)
        && matches!(s.key_bytes(j - 1), b"de" | b"d" | b"du" | b"of")
        && s.is_word(j - 2)
        && !s.is_filler(j - 2)
        && text[s.toks[j - 2].start..]
            .chars()
            .next()
            .is_some_and(char::is_lowercase)
    {
        j -= 2;
    }
    while j > 0 && s.is_filler(j - 1) && !since(j - 1) {
        j -= 1;
    }
    j > 0 && since(j - 1)
}

/// "j'ai tenté avec un tuto": a word in -é right after "avoir" is its past participle, not a
/// thing of the lexicon that folds the same ("tente").
fn past_participle(text: &str, s: &Stream, at: usize) -> bool {
    let after_avoir = at > 0
        && s.is_word(at - 1)
        && matches!(
            s.norm(at - 1),
            "ai" | "as" | "a" | "avons" | "avez" | "ont" | "avait" | "avais" | "eu"
        );
    after_avoir && {
        let raw = text[s.toks[at].start..s.toks[at].end].to_lowercase();
        ["é", "ée", "és", "ées"].iter().any(|e| raw.ends_with(e))
    }
}

/// Whether a folded word ends like an infinitive in -er or -ir ("-ier" is left to nouns: "un
/// sucrier").
fn infinitive_ending(key: &str) -> bool {
    (key.ends_with("er") && !key.ends_with("ier")) || key.ends_with("ir")
}

/// "Qqn pourrait régler mon dérailleur ?": a word in -er or -ir right after a verb that takes
/// an infinitive (or "de", "pour") is that infinitive, a service said with a verb the lexicon
/// does not know, not a thing. An object pronoun may stand between them: "une famille qui
/// voudrait le cultiver".
fn infinitive_after_modal(s: &Stream, j: usize) -> bool {
    if j == 0 || !infinitive_ending(s.key(j)) {
        return false;
    }
    let clitic = |i: usize| {
        s.is_word(i)
            && matches!(
                s.key_bytes(i),
                b"le" | b"la" | b"les" | b"l" | b"lui" | b"leur" | b"en" | b"y"
            )
    };
    let m = if j >= 2 && clitic(j - 1) { j - 2 } else { j - 1 };
    s.is_word(m)
        && matches!(
            s.key(m),
            "pourrait"
                | "pourriez"
                | "pourrai"
                | "pourrais"
                | "peut"
                | "peux"
                | "pouvez"
                | "saurait"
                | "sauriez"
                | "sait"
                | "sai"
                | "voudrait"
                | "veut"
                | "accepterait"
                | "de"
                | "d"
                | "pour"
        )
}

/// A word as written, lower case, without the final s or x of a plural ("bolées" → "bolée").
fn singular_as_written(word: &str) -> String {
    let raw = word.to_lowercase();
    match raw.chars().count() > 3 && (raw.ends_with('s') || raw.ends_with('x')) && !raw.ends_with("ss") {
        true => raw[..raw.len() - 1].to_owned(),
        false => raw,
    }
}

/// Nouns of quantity, measure, part or kind: "un reste de peinture", "un kilo de pommes" offer
/// the paint and the apples (folded keys, singular).
const MEASURES: &[&str] = &[
    "reste",
    "fond",
    "bout",
    "morceau",
    "kilo",
    "kg",
    "gramme",
    "litre",
    "tonne",
    "stere",
    "stock",
    "surplus",
    "quantite",
    "plein",
    "pochon",
    "bidon",
    "paquet",
    "pile",
    "plaque",
    "barre",
    "tranche",
    "part",
    "portion",
    "piece",
    "ensemble",
    "serie",
    "collection",
    "assortiment",
    "variete",
    "sorte",
    "genre",
    "type",
    "espece",
    "centaine",
    "douzaine",
    "bouquet",
    "brassee",
    "poignee",
    "botte",
    "cageot",
    "filet",
    "barquette",
    "pot",
    "envie",
    "recette",
    "histoire",
    "odeur",
    "gout",
    "peu",
    "beaucoup",
    "max",
    "maximum",
    "minimum",
    "kit",
    "metre",
    "cm",
    "m2",
    "m3",
    "volume",
    "poids",
    "projet",
    "probleme",
    "souci",
    "cas",
];

/// Whether sentence `n` names a thing of the lexicon anywhere (then an unknown word is not
/// guessed to be the thing: "je vide mon atelier et je vends mon établi").
/// Whether the clause opens with "sinon" and the author as subject ("sinon je loue…",
/// "otherwise I'll buy one").
/// "je n'ai pas de voiture", "j'ai plus de sucre", "I don't have a…": the clause says the
/// author lacks what it names.
fn lacks(s: &Stream, span: &clause::Span) -> bool {
    let words: Vec<usize> = (span.start..span.end.min(s.len())).filter(|&i| s.is_word(i)).collect();
    let key = |k: usize| words.get(k).map_or("", |&i| s.norm(i));
    (0..words.len()).any(|k| {
        // "je manque de tomates"
        let short = key(k) == "manque" && k > 0 && matches!(key(k - 1), "je" | "j" | "on") && key(k + 1) == "de";
        if short {
            return true;
        }
        let have = matches!(key(k), "ai" | "a" | "as" | "avons" | "avez" | "ont");
        // "je n'ai plus besoin de mon lit bébé" is no lack: the author parts with it.
        // "je n'ai plus de place pour mon piano" is no lack either: the piano is what goes.
        let room = key(k + 3) == "place" || key(k + 2) == "place";
        let negated = matches!(key(k + 1), "pas" | "plus" | "jamais") && key(k + 2) != "besoin" && !room;
        let french = have && negated && (k == 0 || matches!(key(k - 1), "n" | "ne" | "j"));
        let english = matches!(key(k), "don" | "dont" | "haven" | "no")
            && matches!(
                (key(k + 1), key(k + 2)),
                ("t", "have") | ("have", _) | ("t", "got") | ("longer", "have")
            );
        french || english
    })
}

/// Whether "en échange" / "en retour" / "in return" starts at word `j` (before `end`), not
/// followed by what is asked ("en échange de", "in exchange for": a counterpart).
fn in_return_at(s: &Stream, j: usize, end: usize) -> bool {
    let at = |i: usize| if i < end && s.is_word(i) { s.key(i) } else { "" };
    matches!(
        (at(j), at(j + 1)),
        ("en", "echange" | "retour" | "contrepartie") | ("in", "return" | "exchange")
    ) && !matches!(at(j + 2), "de" | "d" | "for" | "of")
}

/// Whether the words from `start` to `end` say "à échanger" / "à troquer" with nothing "contre"
/// it: the thing is swapped for something named elsewhere.
fn swapped_without_counterpart(s: &Stream, start: usize, end: usize) -> bool {
    let words: Vec<&str> = (start..end.min(s.len()))
        .filter(|&i| s.is_word(i))
        .map(|i| s.key(i))
        .collect();
    let to_swap = words
        .windows(2)
        .any(|w| w[0] == "a" && matches!(w[1], "echanger" | "troquer"));
    to_swap && !words.iter().any(|w| matches!(*w, "contre" | "for"))
}

/// Whether the clause tells the author's move: "je déménage", "on quitte l'appart", "rendre
/// les clés", "moving back", "move out".
fn moves_out(s: &Stream, span: &clause::Span) -> bool {
    let words: Vec<usize> = (span.start..span.end.min(s.len())).filter(|&i| s.is_word(i)).collect();
    let key = |k: usize| words.get(k).map_or("", |&i| s.key(i));
    (0..words.len()).any(|k| {
        key(k).starts_with("demenag")
            || key(k).starts_with("quitt")
            || (k == 0 && key(k) == "moving")
            || matches!(
                (key(k), key(k + 1)),
                ("move" | "moving", "out" | "back" | "away" | "abroad")
            )
            || matches!(key(k), "rendre" | "rend") && (k + 1..k + 4).any(|n| matches!(key(n), "cle" | "clef"))
    })
}

/// A file's name and text, or None when it does not exist.
fn read_optional(path: &std::path::Path) -> Result<Option<(String, String)>, lexicon::LexiconError> {
    let file = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(src) => Ok(Some((file, src))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(lexicon::LexiconError::Read { file, source }),
    }
}

pub(super) fn plan_b(s: &Stream, span: &clause::Span) -> bool {
    let at = |i: usize| if i < span.end && s.is_word(i) { s.key(i) } else { "" };
    matches!(at(span.start), "sinon" | "otherwise")
        && matches!(at(span.start + 1), "je" | "j" | "on" | "nou" | "i" | "we")
}

fn sentence_names_things(sentences: &[(usize, usize)], found: &Found, n: usize) -> bool {
    sentences.get(n).is_some_and(|&(a, b)| {
        !clause::within(
            &found.items,
            &clause::Span {
                start: a,
                end: b,
                sentence: n,
            },
        )
        .is_empty()
    })
}

/// Whether a range is exactly one calendar month.
fn whole_month(d: DateRange) -> bool {
    use chrono::Datelike;
    d.from.day() == 1
        && d.from.month() == d.to.month()
        && d.from.year() == d.to.year()
        && d.to.succ_opt().is_some_and(|n| n.day() == 1)
}

/// "Qqn va à la gare dimanche ? Je cherche un covoit": one post said twice is one post; the
/// second saying completes the first.
fn merge_repeats(conf: &Confidence, posts: Vec<Post>) -> Vec<Post> {
    let mut out: Vec<Post> = Vec::with_capacity(posts.len());
    for p in posts {
        match out.iter_mut().find(|o| o.direction == p.direction && o.item == p.item) {
            Some(o) => {
                o.when = o.when.or(p.when);
                o.mode = o.mode.or(p.mode);
                o.price = o.price.or(p.price);
                if conf.combine(&p.confidence_why) > conf.combine(&o.confidence_why) {
                    o.confidence_why = p.confidence_why;
                }
                o.evidence.extend(p.evidence);
            }
            None => out.push(p),
        }
    }
    out
}

/// Whether `key` is a word of some cue: such a word is grammar, not a thing.
fn found_cue_word(lex: &Lexicon, key: &str) -> bool {
    lex.normalizer.known.contains(key) && !lex.by_name.contains_key(key) && lex.cue_set.words().any(|w| w == key)
}

/// What the confidence of one post weighs.
struct Weighed {
    /// The weight of the cue that decided the direction (1 weak … 5 unmistakable).
    strength: u8,
    /// The weight of the clause's cues for the other direction.
    against: u8,
    /// 2: the thing is in the lexicon, 1: a corrected typo or a quoted thing, 0: guessed.
    sureness: u8,
    implied: bool,
    /// A broad word, or a complement taken as the thing because nothing else was named.
    generic: bool,
    has_mode: bool,
    /// The thing was named in another clause.
    borrowed: bool,
    /// A long message (over 200 bytes): more context to misread.
    long: bool,
    /// Words between the deciding cue and the thing, when both are in the clause.
    distance: Option<usize>,
    /// Right after "à" / "de" and a noun ("boîtes à œufs"): maybe a detail of an unknown thing.
    complement_of_noun: bool,
}

/// The evidence for and against one post, each with how much it moves the confidence. The
/// deltas were set by measuring precision per confidence bucket on dev.jsonl, holdout.jsonl
/// and train2-learn.jsonl (`scripts/calibrate.py`), so that posts at or above
/// [`SURE_CONFIDENCE`] are right at least 95 times in 100.
fn confidence_factors(conf: &Confidence, w: &Weighed) -> Vec<Factor> {
    use confidence as c;
    let mut out = Vec::with_capacity(12);
    let mut add = |why: &'static str| out.push(conf.factor(why));
    add(match w.strength {
        5.. => c::CONSTRUCTION_CUE,
        4 => c::STRONG_CUE,
        3 => c::CUE,
        2 => c::WEAK_CUE,
        _ => c::WEAK_CUES_ADDING_UP,
    });
    if w.against > 0 {
        add(c::OPPOSING_CUES);
    }
    add(match (w.sureness, w.implied) {
        (_, true) => c::IMPLIED,
        (2, _) => c::FROM_LEXICON,
        (1, _) => c::CORRECTED,
        _ => c::GUESSED,
    });
    if w.generic {
        add(c::GENERIC);
    }
    if w.borrowed {
        add(c::BORROWED);
    }
    if w.has_mode {
        add(c::MODE_STATED);
    }
    match w.distance {
        Some(0..=2) => add(c::BESIDE_CUE),
        Some(7..) => add(c::FAR_FROM_CUE),
        _ => {}
    }
    if w.complement_of_noun {
        add(c::COMPLEMENT_OF_NOUN);
    }
    if w.long {
        add(c::LONG_MESSAGE);
    }
    out
}

/// The factors known once the message's posts are assembled (how many there are, what each
/// one is, whether its sentence asks a question), then each post's confidence. The sentence
/// ends (". ! ? newline") are listed once, so each post finds its own by binary search.
fn message_factors(conf: &Confidence, posts: &mut [Post], text: &str) {
    use confidence as c;
    // Most messages are chatter: no pass over the text for them.
    if posts.is_empty() {
        return;
    }
    let ends: Vec<(usize, u8)> = text
        .bytes()
        .enumerate()
        .filter(|(_, b)| matches!(b, b'.' | b'!' | b'?' | b'\n'))
        .collect();
    let many = posts.len() >= 2;
    for p in posts.iter_mut() {
        let next_end = ends.partition_point(|(at, _)| *at < p.span.end);
        let question = ends.get(next_end).is_some_and(|(_, b)| *b == b'?');
        for (yes, why) in [
            (many, c::SEVERAL_POSTS),
            (text.len() < 40, c::SHORT_MESSAGE),
            (p.direction == Direction::Offer, c::OFFER),
            (p.kind == Kind::Service, c::SERVICE),
            (p.when.is_some(), c::DATED),
            (p.price.is_some(), c::PRICED),
            (question, c::IN_QUESTION),
        ] {
            if yes {
                p.confidence_why.push(conf.factor(why));
            }
        }
        p.confidence = conf.combine(&p.confidence_why);
    }
}

/// Words between the closest cue of direction `dir` and the thing starting at word `at`.
fn cue_distance(lex: &Lexicon, cues: &[clause::CueHit], dir: Direction, at: usize, s: &Stream) -> Option<usize> {
    if at >= s.len() {
        return None;
    }
    cues.iter()
        .filter(|c| lex.cues[c.entry].direction == Some(dir))
        .map(|c| {
            if at >= c.end {
                at - c.end
            } else {
                c.start.saturating_sub(at + 1)
            }
        })
        .min()
}

/// The weight of the cues of a clause that speak for the other direction.
fn opposing_weight(lex: &Lexicon, cues: &[clause::CueHit], dir: Direction) -> u8 {
    cues.iter()
        .filter_map(|c| {
            lex.cues[c.entry]
                .direction
                .filter(|d| *d != dir)
                .map(|_| lex.cues[c.entry].weight)
        })
        .fold(0u8, u8::saturating_add)
}

/// The part of `text` read for posts: all of it up to `max_chars` characters, else its first
/// `max_chars` characters cut after the last sentence end (if it leaves at least half) or at
/// the last space. A prefix, so byte spans found in it hold for the whole text.
pub fn head(text: &str, max_chars: usize) -> &str {
    let Some((cap, _)) = text.char_indices().nth(max_chars) else {
        return text;
    };
    let within = &text[..cap];
    let sentence = within.rfind(['.', '!', '?', '\n']).map(|i| i + 1);
    let cut = match sentence {
        Some(i) if i >= cap / 2 => i,
        _ => within.rfind(char::is_whitespace).unwrap_or(cap),
    };
    &text[..cut]
}

/// Whether word `i` names a street: it follows "rue", "avenue", "impasse"… with at most the
/// articles of the name between ("rue de la Roquette", "allée des Tilleuls").
fn street_name(s: &Stream, i: usize) -> bool {
    let mut j = i;
    let mut between = 0;
    while j > 0 && between <= 2 {
        j -= 1;
        if !s.is_word(j) {
            return false;
        }
        match s.key(j) {
            "rue" | "avenue" | "av" | "boulevard" | "bd" | "impasse" | "allee" | "quai" | "chemin" | "street"
            | "road" => return true,
            "de" | "du" | "des" | "la" | "l" | "d" if between < 2 => between += 1,
            _ => return false,
        }
    }
    false
}

/// Whether the word at `i` follows a subject pronoun, maybe with object pronouns between
/// ("je livre", "je vous le porte", "il lit", "ça aspire").
fn verb_after_subject(s: &Stream, i: usize) -> bool {
    let object_pronoun = |k: &[u8]| {
        matches!(
            k,
            b"le"
                | b"la"
                | b"les"
                | b"l"
                | b"lui"
                | b"leur"
                | b"vou"
                | b"nou"
                | b"te"
                | b"t"
                | b"me"
                | b"m"
                | b"se"
                | b"s"
                | b"y"
                | b"en"
        )
    };
    clause::word_before_skipping(s, i, object_pronoun)
        .is_some_and(|k| matches!(k, b"je" | b"j" | b"tu" | b"il" | b"elle" | b"on" | b"ils" | b"ca"))
}

/// Byte ranges of quoted text: lines starting with `>`, and everything after an email's
/// "Le … a écrit :" / "On … wrote:" line or a "-----Original Message-----" line.
pub fn quoted_ranges(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    // "Fwd : « Recherche bénévoles… » — si ça vous intéresse…": what is forwarded is someone
    // else's message; the quotation (or, without one, the rest of the text) is quoted.
    if let Some(rest) = forwarded(text) {
        let from = text.len() - rest.len();
        let open = rest.char_indices().find(|&(_, c)| matches!(c, '«' | '"' | '“'));
        let (a, b) = match open {
            Some((o, c)) if rest[..o].trim().is_empty() => {
                let inner = o + c.len_utf8();
                let close = rest[inner..]
                    .char_indices()
                    .find(|&(_, c)| matches!(c, '»' | '"' | '”'))
                    .map_or(rest.len(), |(k, c)| inner + k + c.len_utf8());
                (from + o, from + close)
            }
            _ => (from, text.len()),
        };
        out.push((a, b));
        return out;
    }
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        let start = pos;
        pos += line.len();
        if t.starts_with('>') {
            out.push((start, pos));
            continue;
        }
        // Only lines that may be a reply header are lowered (this runs on every message).
        if !may_be_reply_header(t) {
            continue;
        }
        let lower = t.to_lowercase();
        let reply_header = (lower.starts_with("le ") && lower.ends_with("a écrit :"))
            || (lower.starts_with("le ") && lower.ends_with("a écrit:"))
            || (lower.starts_with("on ") && lower.ends_with("wrote:"))
            || lower.contains("-----original message-----")
            || lower.contains("----- message d'origine -----");
        if reply_header {
            out.push((start, text.len()));
            break;
        }
    }
    out
}

/// Whether a (trimmed) line may be a reply header: it holds "crit", "rote" or "-----" (as
/// written, before lowering), and since every header ends with a colon ("… a écrit :", "…
/// wrote:") or holds dashes, most lines are let go on their last byte alone.
fn may_be_reply_header(t: &str) -> bool {
    (t.ends_with(':') || t.as_bytes().contains(&b'-'))
        && (t.contains("crit") || t.contains("rote") || t.contains("-----"))
}

/// The text after a forward's header ("Fwd :", "TR:", "Fw:"), if the message starts with one.
fn forwarded(text: &str) -> Option<&str> {
    let t = text.trim_start();
    let word = t.split(|c: char| !c.is_ascii_alphabetic()).next()?;
    if !["fwd", "fw", "tr"].iter().any(|f| word.eq_ignore_ascii_case(f)) {
        return None;
    }
    let rest = t[word.len()..].trim_start();
    rest.strip_prefix(':')
}

#[cfg(test)]
mod tests {
    use super::{head, quoted_ranges};

    fn read(text: &str) -> Vec<super::Post> {
        let sent = chrono::DateTime::parse_from_rfc3339("2026-03-05T10:00:00+01:00").expect("a date");
        super::Parser::embedded().parse(&super::ParseInput::new(text, sent))
    }

    #[test]
    fn round_eight_constructions() {
        // "max 40e" is a price; "au 4e étage" and "3e fois" are ordinals.
        let posts = read("jcherche 1 aspirateur pas cher, max 40e");
        assert_eq!(posts[0].price.map(|p| p.cents), Some(4000));
        let posts = read("Je donne une baignoire bébé avec son support et un transat, au 4e sans ascenseur");
        assert_eq!(posts.len(), 2, "{posts:?}");
        assert!(posts.iter().all(|p| p.price.is_none()));
        // A street's name is no thing; a firm cue negated refuses.
        let posts = read("Je donne une chaise haute, à récupérer rue de la Roquette");
        assert_eq!(posts.len(), 1, "{posts:?}");
        assert!(read("Je prête pas ma voiture, arrêtez de demander en MP svp").is_empty());
        // "le 12 ou le 13" is one span.
        let posts = read("Je vends un établi 150€, à démonter sur place le 12 ou le 13");
        let when = posts[0].when.expect("dates");
        assert_eq!(
            (when.from.to_string(), when.to.to_string()),
            ("2026-03-12".into(), "2026-03-13".into())
        );
    }

    #[test]
    fn a_forward_quotes_what_it_forwards() {
        let text = "Fwd : « Recherche bénévoles samedi » — contactez l'asso";
        let [(a, b)] = quoted_ranges(text)[..] else {
            panic!("one quoted range")
        };
        assert_eq!(&text[a..b], "« Recherche bénévoles samedi »");
        let text = "TR: Je donne un vélo";
        assert_eq!(quoted_ranges(text), vec![(3, text.len())]);
        assert!(quoted_ranges("Trop bien, je donne un vélo").is_empty());
        assert!(quoted_ranges("tr ès bien").is_empty());
    }

    #[test]
    fn a_reply_header_quotes_what_follows() {
        let text = "Oui je te la prête\nLe 3 mai 2026, Paul <p@x.fr> a écrit :\n> qq1 aurait une échelle ?";
        assert_eq!(quoted_ranges(text), vec![(20, text.len())]);
        let text = "ok\n-----Original Message-----\nJe cherche un vélo";
        assert_eq!(quoted_ranges(text), vec![(3, text.len())]);
        let text = "On Tue, Jun 4, 2026 at 9:00 AM, Bob <b@x.com> wrote:\nI need a ladder";
        assert_eq!(quoted_ranges(text), vec![(0, text.len())]);
        assert!(quoted_ranges("Liste des choses :\nune perceuse").is_empty());
        assert!(quoted_ranges("Le voisin a écrit un mot - merci").is_empty());
    }

    #[test]
    fn head_keeps_short_texts_and_cuts_long_ones_at_a_boundary() {
        assert_eq!(head("je prête ma perceuse", 100), "je prête ma perceuse");
        assert_eq!(head("je prête ma perceuse", 20), "je prête ma perceuse");
        // After the last sentence end when it keeps at least half.
        assert_eq!(head("Je prête ma perceuse. Et aussi", 27), "Je prête ma perceuse.");
        // Else at the last space, never inside a word or a character.
        assert_eq!(head("Bonjour je prête ma perceuse", 22), "Bonjour je prête ma");
        assert_eq!(head("éééé", 2), "éé");
        assert_eq!(head("", 0), "");
    }
}
