//! The parser's output: posts, with the vocabulary of ../shared/corpus/SCHEMA.md.

use std::fmt;
use std::ops::Range;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Whether the author gives or looks for something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Offer,
    Request,
}

/// A thing, or help / a skill / time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Item,
    Service,
}

/// How the thing changes hands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Loan,
    Gift,
    Swap,
    Sale,
}

/// The taxonomy of SCHEMA.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Bricolage,
    Jardinage,
    Cuisine,
    Maison,
    Mobilite,
    Enfants,
    Loisirs,
    HighTech,
    Vetements,
    Animaux,
    Alimentation,
    Education,
    Sante,
    Entraide,
    Autre,
}

impl Category {
    pub const ALL: [Category; 15] = [
        Category::Bricolage,
        Category::Jardinage,
        Category::Cuisine,
        Category::Maison,
        Category::Mobilite,
        Category::Enfants,
        Category::Loisirs,
        Category::HighTech,
        Category::Vetements,
        Category::Animaux,
        Category::Alimentation,
        Category::Education,
        Category::Sante,
        Category::Entraide,
        Category::Autre,
    ];

    /// The identifier used in JSON and in the lexicon files.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Bricolage => "bricolage",
            Category::Jardinage => "jardinage",
            Category::Cuisine => "cuisine",
            Category::Maison => "maison",
            Category::Mobilite => "mobilite",
            Category::Enfants => "enfants",
            Category::Loisirs => "loisirs",
            Category::HighTech => "high_tech",
            Category::Vetements => "vetements",
            Category::Animaux => "animaux",
            Category::Alimentation => "alimentation",
            Category::Education => "education",
            Category::Sante => "sante",
            Category::Entraide => "entraide",
            Category::Autre => "autre",
        }
    }

    /// Parses an identifier such as `high_tech` (also accepts accents and hyphens: `high-tech`,
    /// `mobilité`), for commands like `/annonces bricolage`.
    pub fn parse(s: &str) -> Option<Category> {
        let f = super::token::fold(s.trim()).replace('-', "_");
        Category::ALL.into_iter().find(|c| c.as_str() == f)
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Direction {
    pub const ALL: [Direction; 2] = [Direction::Offer, Direction::Request];

    /// The stored form: "offer" or "request".
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Offer => "offer",
            Direction::Request => "request",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Mode {
    /// The stored form: "loan", "gift", "swap" or "sale".
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Loan => "loan",
            Mode::Gift => "gift",
            Mode::Swap => "swap",
            Mode::Sale => "sale",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Inclusive local dates a post is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// A price in euro cents, as written in the message ("25€", "80 euros", "100 balles").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Price {
    pub cents: u64,
}

/// What role a piece of text played in a decision (for `parse --explain`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Direction,
    Mode,
    Item,
    When,
    Price,
}

/// A piece of evidence: the byte span of the words and what they decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub role: Role,
    pub span: Range<usize>,
}

/// One structured offer or request found in a message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Post {
    pub direction: Direction,
    pub kind: Kind,
    pub mode: Option<Mode>,
    /// Normalised name: lower case, singular, no article, accents kept.
    pub item: String,
    pub category: Category,
    pub when: Option<DateRange>,
    pub price: Option<Price>,
    /// How sure the parser is, between 0 and 1.
    pub confidence: f32,
    /// How many of the thing an offer has ("2 perceuses", "j'en ai deux"): that many loans may
    /// run at once. 1 unless the message says more (not serialised: not in the corpus schema).
    #[serde(skip)]
    pub copies: u32,
    /// Byte span of the text the post came from.
    pub span: Range<usize>,
    /// Which words decided what (not serialised by `voisinage parse`).
    #[serde(skip)]
    pub evidence: Vec<Evidence>,
    /// What raised or lowered the confidence, each with its learned weight (the confidence is
    /// the logistic of their sum and the model's bias, see [`super::confidence`]; shown by
    /// `voisinage parse --explain`).
    #[serde(skip)]
    pub confidence_why: Vec<Factor>,
}

/// One piece of evidence weighed by the confidence: what it is and its learned weight (in
/// log-odds: positive makes the post surer).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Factor {
    pub why: &'static str,
    pub delta: f32,
}
