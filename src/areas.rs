//! The network's geographic areas (quartiers) and the questions the daemon asks about them:
//! "which area is this point in?" and "which areas use this postcode?".
//!
//! Areas are read from a GeoJSON `FeatureCollection` (see `config/areas.geojson` for the
//! annotated example: quartiers of Saint-Malo drawn by hand). Each feature is one area: a
//! Polygon or MultiPolygon plus the properties `slug`, `name`, `commune`, `postcodes` and the
//! optional `timezone` (default `Europe/Paris`), `holiday_zone` (default `B`) and `lang`, the
//! language the bot speaks in the area's rooms (`fr` or `en`, default `fr`). Properties
//! this module does not know are ignored, so a file exported from a GIS tool may keep its own.
//!
//! The file is written by people, often by hand, so loading validates everything a later
//! lookup relies on and reports the first problem with the file, the feature (its index in
//! `features` and its slug) and what is wrong, e.g.
//! `areas.geojson: features[3] (slug "parame"): exterior ring coordinates[0] is not closed: ...`.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono_tz::Tz;
use geo::coordinate_position::CoordPos;
use geo::dimensions::Dimensions;
// `geo::Area` is the trait providing `unsigned_area`; imported anonymously because our own
// struct is called `Area`.
use geo::Area as _;
use geo::{BooleanOps, BoundingRect, Coord, GeodesicArea, Intersects, LineString, MultiPolygon, Point, Polygon};
use geo::{Relate, Validation};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, RTreeObject};
use serde_json::{Map, Value};

use crate::i18n::Lang;
use crate::parse::HolidayZone;

/// The example areas shipped with the crate, used by `voisinage try`, the tests, and as a
/// template for a network's own file.
pub const EXAMPLE_GEOJSON: &str = include_str!("../config/areas.geojson");

/// How [`Areas::example`] names the built-in file in error messages.
const EXAMPLE_LABEL: &str = "config/areas.geojson (built in)";

const SLUG_MIN_LEN: usize = 2;
const SLUG_MAX_LEN: usize = 48;

/// Time zone of an area whose feature has no `timezone` property.
const DEFAULT_TIMEZONE: Tz = chrono_tz::Europe::Paris;

/// Overlaps between two areas up to this size (in square metres, measured on the ellipsoid)
/// are tolerated: boundaries drawn by hand without snapping cross each other by a few
/// centimetres, which is no real ambiguity. A point in such a sliver belongs to the area that
/// comes first in the file (see [`Areas::locate`]).
const OVERLAP_TOLERANCE_M2: f64 = 1.0;

/// Implements the traits shared by the validated string newtypes: `Display`, `FromStr`,
/// `AsRef<str>`, and serde as a plain string whose deserialisation goes through `parse`, so an
/// invalid value can never be built from a config file or a database row either.
macro_rules! validated_string {
    ($type:ident) => {
        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $type {
            type Err = AreaError;
            fn from_str(s: &str) -> Result<Self, AreaError> {
                $type::parse(s)
            }
        }

        impl AsRef<str> for $type {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl serde::Serialize for $type {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $type {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                $type::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// An area's slug: lower-case ASCII letters, digits and single hyphens, 2..=48 chars.
///
/// Slugs name areas in commands, room names and URLs, hence the conservative alphabet; a
/// hyphen may not start or end the slug nor follow another hyphen.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AreaSlug(String);

impl AreaSlug {
    /// Checks `s` (taken as is: no trimming, no case folding) and wraps it.
    pub fn parse(s: &str) -> Result<Self, AreaError> {
        match slug_problem(s) {
            None => Ok(AreaSlug(s.to_owned())),
            Some(reason) => Err(AreaError::InvalidSlug {
                value: s.to_owned(),
                reason,
            }),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

validated_string!(AreaSlug);

/// Why `s` is not a valid slug, or `None` if it is one.
fn slug_problem(s: &str) -> Option<&'static str> {
    // Characters first: for non-ASCII input a byte length would be a confusing complaint.
    if !s
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Some("only lower-case ASCII letters (a-z), digits and hyphens are allowed");
    }
    if !(SLUG_MIN_LEN..=SLUG_MAX_LEN).contains(&s.len()) {
        return Some("a slug is 2 to 48 characters long");
    }
    if s.starts_with('-') || s.ends_with('-') {
        return Some("a slug must not start or end with a hyphen");
    }
    if s.contains("--") {
        return Some("a slug must not contain two hyphens in a row");
    }
    None
}

/// A French postcode: exactly 5 digits.
///
/// Kept as a string, never a number: postcodes of Ain ("01…") start with a zero.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PostalCode(String);

impl PostalCode {
    /// Strict: exactly five ASCII digits, nothing else (this is what area files must contain).
    pub fn parse(s: &str) -> Result<Self, AreaError> {
        if s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(PostalCode(s.to_owned()))
        } else {
            Err(AreaError::InvalidPostcode { value: s.to_owned() })
        }
    }

    /// Lenient, for what people type: ignores all whitespace, including the (narrow)
    /// no-break spaces of French typography, so " 35 400 " is 35400.
    pub fn parse_lenient(s: &str) -> Result<Self, AreaError> {
        let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        PostalCode::parse(&compact).map_err(|_| AreaError::InvalidPostcode { value: s.to_owned() })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

validated_string!(PostalCode);

/// One area (quartier) of the network.
#[derive(Debug, Clone, PartialEq)]
pub struct Area {
    pub slug: AreaSlug,
    /// Human name, e.g. "Saint-Servan"; never empty, no control characters.
    pub name: String,
    /// The commune the area belongs to, e.g. "Saint-Malo".
    pub commune: String,
    /// At least one; several areas may share a postcode (all of Saint-Malo is 35400).
    pub postcodes: Vec<PostalCode>,
    pub timezone: Tz,
    pub holiday_zone: HolidayZone,
    /// The language of the area's rooms (members are answered in their own).
    pub lang: Lang,
    /// WGS84, x = longitude, y = latitude; valid (OGC rules) and with a positive area.
    pub polygon: MultiPolygon<f64>,
}

impl Area {
    /// One line for command-line listings, the same everywhere:
    /// `slug<TAB>name<TAB>commune<TAB>postcodes` with the postcodes comma-separated.
    /// Names cannot contain tabs or newlines (checked on load), so the line splits cleanly.
    pub fn summary(&self) -> String {
        let postcodes: Vec<&str> = self.postcodes.iter().map(PostalCode::as_str).collect();
        format!(
            "{}\t{}\t{}\t{}",
            self.slug,
            self.name,
            self.commune,
            postcodes.join(",")
        )
    }
}

/// An R-tree entry: an area's bounding box and the area's index in [`Areas::all`].
type Envelope = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// The validated set of areas, indexed for point and postcode lookups.
#[derive(Debug, Clone)]
pub struct Areas {
    /// In file order; every index below points into this.
    areas: Vec<Area>,
    /// Bounding boxes, so `locate` runs the exact point-in-polygon test on a few candidates.
    envelopes: RTree<Envelope>,
    by_slug: HashMap<String, usize>,
    /// Indices in ascending (file) order.
    by_postcode: HashMap<PostalCode, Vec<usize>>,
}

impl Areas {
    /// Parses and validates a GeoJSON FeatureCollection. `file_label` only names the source
    /// in error messages (usually the path).
    pub fn from_geojson(file_label: &str, src: &str) -> Result<Areas, AreaError> {
        let file = file_label.to_owned();
        // Some editors save a byte-order mark, which JSON parsers reject; it carries nothing.
        let src = src.strip_prefix('\u{feff}').unwrap_or(src);
        let root: Value = serde_json::from_str(src).map_err(|error| AreaError::Json {
            file: file.clone(),
            error,
        })?;
        let features = collection_features(&file, root)?;
        if features.is_empty() {
            return Err(AreaError::NoFeatures { file });
        }

        let mut areas: Vec<Area> = Vec::with_capacity(features.len());
        let mut by_slug: HashMap<String, usize> = HashMap::new();
        for (index, value) in features.into_iter().enumerate() {
            // Read before parsing so that even a malformed feature is named by its slug.
            let raw_slug = raw_slug(&value);
            let fail = |problem| AreaError::Feature {
                file: file.clone(),
                index,
                slug: raw_slug.clone(),
                problem,
            };
            let area = parse_feature(value).map_err(fail)?;
            if let Some(&first_index) = by_slug.get(area.slug.as_str()) {
                return Err(fail(FeatureProblem::DuplicateSlug { first_index }));
            }
            by_slug.insert(area.slug.as_str().to_owned(), index);
            areas.push(area);
        }

        let envelopes = RTree::bulk_load(
            areas
                .iter()
                .enumerate()
                .map(|(index, area)| GeomWithData::new(envelope_of(&area.polygon), index))
                .collect(),
        );
        check_overlaps(&file, &areas, &envelopes)?;

        let mut by_postcode: HashMap<PostalCode, Vec<usize>> = HashMap::new();
        for (index, area) in areas.iter().enumerate() {
            for postcode in &area.postcodes {
                by_postcode.entry(postcode.clone()).or_default().push(index);
            }
        }
        Ok(Areas {
            areas,
            envelopes,
            by_slug,
            by_postcode,
        })
    }

    /// Reads and validates the area file at `path`; errors name the path.
    pub fn load(path: &Path) -> Result<Areas, AreaError> {
        let src = std::fs::read_to_string(path).map_err(|error| AreaError::Io {
            path: path.to_owned(),
            error,
        })?;
        Areas::from_geojson(&path.display().to_string(), &src)
    }

    /// The example areas of `config/areas.geojson`, compiled into the binary.
    pub fn example() -> Areas {
        Areas::from_geojson(EXAMPLE_LABEL, EXAMPLE_GEOJSON)
            .expect("the built-in config/areas.geojson is valid (a unit test loads it)")
    }

    /// All areas, in file order.
    pub fn all(&self) -> &[Area] {
        &self.areas
    }

    /// The area with this exact slug.
    pub fn get(&self, slug: &str) -> Option<&Area> {
        self.by_slug.get(slug).map(|&index| &self.areas[index])
    }

    /// The time zone of area `slug` (Europe/Paris for an unknown slug).
    pub fn timezone(&self, slug: &str) -> Tz {
        self.get(slug).map_or(chrono_tz::Europe::Paris, |a| a.timezone)
    }

    /// The language of the area's rooms (French for an unknown area).
    pub fn lang(&self, slug: &str) -> Lang {
        self.get(slug).map_or(Lang::Fr, |a| a.lang)
    }

    /// The area containing the point (WGS84 degrees; note the order: latitude first, as
    /// people and phones say it). A point on a border shared by several areas belongs to the
    /// one that comes first in the file, so the answer never depends on R-tree internals.
    /// `None` outside every area (at sea, in a gap between areas) and for non-finite input.
    pub fn locate(&self, lat: f64, lon: f64) -> Option<&Area> {
        if !lat.is_finite() || !lon.is_finite() {
            return None;
        }
        let point = Point::new(lon, lat);
        self.envelopes
            .locate_all_at_point(&[lon, lat])
            .map(|entry| entry.data)
            // `intersects` rather than `contains`: a point on the boundary still belongs to an
            // area (the first one), instead of falling between two.
            .filter(|&index| self.areas[index].polygon.intersects(&point))
            .min()
            .map(|index| &self.areas[index])
    }

    /// The areas using this postcode, in file order. The code is read leniently (surrounding
    /// and inner spaces ignored, "35 400" works); anything that is not a postcode gives none.
    pub fn by_postcode(&self, code: &str) -> Vec<&Area> {
        let Ok(code) = PostalCode::parse_lenient(code) else {
            return Vec::new();
        };
        self.by_postcode
            .get(&code)
            .map(|indices| indices.iter().map(|&index| &self.areas[index]).collect())
            .unwrap_or_default()
    }
}

/// Why area data was rejected.
///
/// Messages carry their details (including the underlying I/O or JSON error) themselves and
/// expose no `source()`, so printing the error once says everything without repetition.
#[derive(Debug, thiserror::Error)]
pub enum AreaError {
    #[error("invalid area slug {value:?}: {reason}")]
    InvalidSlug { value: String, reason: &'static str },
    #[error("invalid postcode {value:?}: a French postcode is exactly 5 digits, e.g. \"35400\"")]
    InvalidPostcode { value: String },
    #[error("cannot read area file {}: {error}", path.display())]
    Io { path: PathBuf, error: std::io::Error },
    #[error("{file}: not valid JSON: {error}")]
    Json { file: String, error: serde_json::Error },
    #[error("{file}: expected a GeoJSON FeatureCollection at the top level, found {found}")]
    NotFeatureCollection { file: String, found: String },
    #[error("{file}: malformed FeatureCollection: {problem}")]
    MalformedCollection { file: String, problem: String },
    #[error("{file}: the FeatureCollection has no features; describe at least one area")]
    NoFeatures { file: String },
    /// A problem with one feature. `index` is its position in the `features` array (from 0,
    /// as in `jq '.features[3]'`); `slug` is the raw `slug` property, if it is a string.
    #[error("{file}: features[{index}] ({}): {problem}", slug_label(slug.as_deref()))]
    Feature {
        file: String,
        index: usize,
        slug: Option<String>,
        problem: FeatureProblem,
    },
}

fn slug_label(slug: Option<&str>) -> String {
    match slug {
        Some(slug) => format!("slug {slug:?}"),
        None => "no slug".to_owned(),
    }
}

/// What is wrong with one feature of an area file (see [`AreaError::Feature`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FeatureProblem {
    #[error("not a valid GeoJSON Feature: {0}")]
    Malformed(String),
    #[error("has no geometry; an area needs a Polygon or MultiPolygon")]
    MissingGeometry,
    #[error("geometry is a {0}; only Polygon and MultiPolygon can describe an area")]
    UnsupportedGeometry(String),
    #[error("geometry has no coordinates")]
    EmptyGeometry,
    #[error("{ring} has {count} positions; a ring needs at least 4 (3 corners, then the first repeated)")]
    TooFewPositions { ring: String, count: usize },
    #[error("{ring} is not closed: its last position {last:?} must repeat its first {first:?}")]
    RingNotClosed {
        ring: String,
        first: [f64; 2],
        last: [f64; 2],
    },
    #[error("position {position}: {problem}")]
    BadPosition { position: String, problem: String },
    #[error("invalid geometry: {0}")]
    InvalidGeometry(String),
    #[error("geometry encloses no area")]
    ZeroArea,
    #[error("has no properties; an area needs at least slug, name, commune and postcodes")]
    MissingProperties,
    #[error("property {0:?} is missing")]
    MissingProperty(&'static str),
    #[error("property {property:?} must be {expected}")]
    WrongType {
        property: &'static str,
        expected: &'static str,
    },
    #[error("invalid slug {value:?}: {reason}")]
    BadSlug { value: String, reason: &'static str },
    #[error("property {0:?} is empty")]
    EmptyProperty(&'static str),
    #[error("property {0:?} contains a control character (tab, newline…)")]
    ControlCharacter(&'static str),
    #[error("property \"postcodes\" is empty; list at least one, e.g. [\"35400\"]")]
    NoPostcodes,
    #[error("postcode {0:?} is not exactly 5 digits")]
    BadPostcode(String),
    #[error("postcode {0:?} is listed twice")]
    DuplicatePostcode(String),
    #[error("unknown time zone {0:?}; expected an IANA name such as \"Europe/Paris\"")]
    UnknownTimezone(String),
    #[error("property \"holiday_zone\": {0}")]
    BadHolidayZone(String),
    #[error("property \"lang\": {0:?} is not a language the bot speaks (\"fr\" or \"en\")")]
    BadLang(String),
    #[error("slug already used by features[{first_index}]")]
    DuplicateSlug { first_index: usize },
    #[error(
        "overlaps features[{other_index}] (slug {other_slug:?}) on about {overlap_m2:.0} m²; \
         areas must not overlap, or a point would be in two areas (neighbours should share \
         their border vertices exactly)"
    )]
    Overlap {
        other_index: usize,
        other_slug: String,
        overlap_m2: f64,
    },
}

/// "a number", "an array"… for messages about a JSON value of the wrong kind.
fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Checks the top level and returns the raw features. Features are then parsed one by one
/// (rather than the whole collection by the geojson crate) so that every error can say which
/// feature it is about.
fn collection_features(file: &str, root: Value) -> Result<Vec<Value>, AreaError> {
    let not_collection = |found: String| AreaError::NotFeatureCollection {
        file: file.to_owned(),
        found,
    };
    let Value::Object(mut object) = root else {
        return Err(not_collection(json_kind(&root).to_owned()));
    };
    match object.get("type") {
        Some(Value::String(kind)) if kind == "FeatureCollection" => {}
        Some(Value::String(kind)) => return Err(not_collection(format!("a GeoJSON {kind}"))),
        _ => return Err(not_collection("an object without a string \"type\" member".to_owned())),
    }
    let malformed = |problem: String| AreaError::MalformedCollection {
        file: file.to_owned(),
        problem,
    };
    match object.remove("features") {
        Some(Value::Array(features)) => Ok(features),
        Some(other) => Err(malformed(format!(
            "\"features\" must be an array, found {}",
            json_kind(&other)
        ))),
        None => Err(malformed("no \"features\" member".to_owned())),
    }
}

/// The `slug` property of a raw feature, if it is a string, valid or not.
fn raw_slug(feature: &Value) -> Option<String> {
    feature.get("properties")?.get("slug")?.as_str().map(str::to_owned)
}

fn parse_feature(mut value: Value) -> Result<Area, FeatureProblem> {
    // GeoJSON requires a "geometry" member (possibly null); the geojson crate's complaint
    // about a missing one is obscure, so treat it as null and say "has no geometry" below,
    // after the properties have been checked.
    if let Value::Object(object) = &mut value {
        object.entry("geometry").or_insert(Value::Null);
    }
    let feature = geojson::Feature::from_json_value(value).map_err(|e| FeatureProblem::Malformed(e.to_string()))?;
    let properties = feature.properties.as_ref().ok_or(FeatureProblem::MissingProperties)?;

    let slug = required_str(properties, "slug")?;
    let slug = AreaSlug::parse(slug).map_err(|_| FeatureProblem::BadSlug {
        value: slug.to_owned(),
        reason: slug_problem(slug).unwrap_or_default(),
    })?;
    let name = required_text(properties, "name")?;
    let commune = required_text(properties, "commune")?;
    let postcodes = postcodes(properties)?;
    let timezone = match optional_str(properties, "timezone")? {
        None => DEFAULT_TIMEZONE,
        Some(name) => name
            .parse::<Tz>()
            .map_err(|_| FeatureProblem::UnknownTimezone(name.to_owned()))?,
    };
    let holiday_zone = match optional_str(properties, "holiday_zone")? {
        None => HolidayZone::default(),
        Some(zone) => zone.parse::<HolidayZone>().map_err(FeatureProblem::BadHolidayZone)?,
    };
    let lang = match optional_str(properties, "lang")? {
        None => Lang::Fr,
        Some(code) => Lang::parse(code).ok_or_else(|| FeatureProblem::BadLang(code.to_owned()))?,
    };

    let geometry = feature.geometry.as_ref().ok_or(FeatureProblem::MissingGeometry)?;
    let polygon = multi_polygon(&geometry.value)?;

    Ok(Area {
        slug,
        name,
        commune,
        postcodes,
        timezone,
        holiday_zone,
        lang,
        polygon,
    })
}

/// A string property; an explicit `null` counts as missing.
fn optional_str<'a>(properties: &'a Map<String, Value>, key: &'static str) -> Result<Option<&'a str>, FeatureProblem> {
    match properties.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(FeatureProblem::WrongType {
            property: key,
            expected: "a string",
        }),
    }
}

fn required_str<'a>(properties: &'a Map<String, Value>, key: &'static str) -> Result<&'a str, FeatureProblem> {
    optional_str(properties, key)?.ok_or(FeatureProblem::MissingProperty(key))
}

/// A required human-readable string: trimmed, non-empty, single-line (it ends up in
/// tab-separated listings and chat messages).
fn required_text(properties: &Map<String, Value>, key: &'static str) -> Result<String, FeatureProblem> {
    let text = required_str(properties, key)?.trim();
    if text.is_empty() {
        return Err(FeatureProblem::EmptyProperty(key));
    }
    if text.chars().any(char::is_control) {
        return Err(FeatureProblem::ControlCharacter(key));
    }
    Ok(text.to_owned())
}

fn postcodes(properties: &Map<String, Value>) -> Result<Vec<PostalCode>, FeatureProblem> {
    // Numbers are refused rather than converted: 01000 would silently become 1000.
    const EXPECTED: &str = "an array of quoted postcodes, e.g. [\"35400\"]";
    let list = match properties.get("postcodes") {
        None | Some(Value::Null) => return Err(FeatureProblem::MissingProperty("postcodes")),
        Some(Value::Array(list)) => list,
        Some(_) => {
            return Err(FeatureProblem::WrongType {
                property: "postcodes",
                expected: EXPECTED,
            });
        }
    };
    if list.is_empty() {
        return Err(FeatureProblem::NoPostcodes);
    }
    let mut postcodes: Vec<PostalCode> = Vec::with_capacity(list.len());
    for item in list {
        let Value::String(text) = item else {
            return Err(FeatureProblem::WrongType {
                property: "postcodes",
                expected: EXPECTED,
            });
        };
        let postcode = PostalCode::parse(text).map_err(|_| FeatureProblem::BadPostcode(text.clone()))?;
        if postcodes.contains(&postcode) {
            return Err(FeatureProblem::DuplicatePostcode(text.clone()));
        }
        postcodes.push(postcode);
    }
    Ok(postcodes)
}

/// Converts and validates a GeoJSON geometry. The raw positions are checked before
/// conversion because geo-types silently closes open rings, which would hide a typo.
fn multi_polygon(value: &geojson::Value) -> Result<MultiPolygon<f64>, FeatureProblem> {
    let multi = match value {
        geojson::Value::Polygon(rings) => {
            let polygon = polygon(rings, None)?;
            polygon
                .check_validation()
                .map_err(|e| FeatureProblem::InvalidGeometry(e.to_string()))?;
            MultiPolygon::new(vec![polygon])
        }
        geojson::Value::MultiPolygon(polygons) => {
            if polygons.is_empty() {
                return Err(FeatureProblem::EmptyGeometry);
            }
            let polygons = polygons
                .iter()
                .enumerate()
                .map(|(index, rings)| polygon(rings, Some(index)))
                .collect::<Result<Vec<_>, _>>()?;
            let multi = MultiPolygon::new(polygons);
            // Also rejects parts of one MultiPolygon that overlap each other.
            multi
                .check_validation()
                .map_err(|e| FeatureProblem::InvalidGeometry(e.to_string()))?;
            multi
        }
        other => return Err(FeatureProblem::UnsupportedGeometry(other.type_name().to_owned())),
    };
    // OGC validity does not exclude every degenerate ring; an area must have an inside.
    if multi.unsigned_area() <= 0.0 {
        return Err(FeatureProblem::ZeroArea);
    }
    Ok(multi)
}

/// One polygon's rings; `part` is its index within a MultiPolygon, for messages.
fn polygon(rings: &[Vec<geojson::Position>], part: Option<usize>) -> Result<Polygon<f64>, FeatureProblem> {
    if rings.is_empty() {
        return Err(FeatureProblem::EmptyGeometry);
    }
    let mut converted: Vec<LineString<f64>> = Vec::with_capacity(rings.len());
    for (ring_index, ring) in rings.iter().enumerate() {
        // Paths as in the JSON, so the offending ring can be found in an editor.
        let path = match part {
            Some(part) => format!("coordinates[{part}][{ring_index}]"),
            None => format!("coordinates[{ring_index}]"),
        };
        let role = if ring_index == 0 { "exterior ring" } else { "hole" };
        let label = format!("{role} {path}");
        if ring.len() < 4 {
            return Err(FeatureProblem::TooFewPositions {
                ring: label,
                count: ring.len(),
            });
        }
        let mut coords: Vec<Coord<f64>> = Vec::with_capacity(ring.len());
        for (position_index, position) in ring.iter().enumerate() {
            let bad = |problem: String| FeatureProblem::BadPosition {
                position: format!("{path}[{position_index}]"),
                problem,
            };
            let (Some(&lon), Some(&lat)) = (position.first(), position.get(1)) else {
                return Err(bad("a position needs a longitude and a latitude".to_owned()));
            };
            // `contains` is false for NaN too.
            if !(-180.0..=180.0).contains(&lon) {
                return Err(bad(format!("longitude {lon} is outside [-180, 180]")));
            }
            if !(-90.0..=90.0).contains(&lat) {
                return Err(bad(format!(
                    "latitude {lat} is outside [-90, 90] (GeoJSON positions are [longitude, latitude])"
                )));
            }
            coords.push(Coord { x: lon, y: lat });
        }
        let (first, last) = (coords[0], coords[coords.len() - 1]);
        if first != last {
            return Err(FeatureProblem::RingNotClosed {
                ring: label,
                first: [first.x, first.y],
                last: [last.x, last.y],
            });
        }
        converted.push(LineString::new(coords));
    }
    let mut rings = converted.into_iter();
    let exterior = rings.next().expect("checked non-empty above");
    Ok(Polygon::new(exterior, rings.collect()))
}

fn envelope_of(polygon: &MultiPolygon<f64>) -> Rectangle<[f64; 2]> {
    let rect = polygon
        .bounding_rect()
        .expect("a validated area has a positive area, hence coordinates");
    Rectangle::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y])
}

/// Rejects the first pair of overlapping areas, reported on the later one of the pair.
fn check_overlaps(file: &str, areas: &[Area], envelopes: &RTree<Envelope>) -> Result<(), AreaError> {
    for (index, area) in areas.iter().enumerate() {
        let envelope = envelope_of(&area.polygon).envelope();
        let mut earlier: Vec<usize> = envelopes
            .locate_in_envelope_intersecting(&envelope)
            .map(|entry| entry.data)
            .filter(|&other| other < index)
            .collect();
        // Deterministic report whatever the R-tree's order.
        earlier.sort_unstable();
        for other_index in earlier {
            let other = &areas[other_index];
            if let Some(overlap_m2) = overlap_m2(&other.polygon, &area.polygon) {
                return Err(AreaError::Feature {
                    file: file.to_owned(),
                    index,
                    slug: Some(area.slug.to_string()),
                    problem: FeatureProblem::Overlap {
                        other_index,
                        other_slug: other.slug.to_string(),
                        overlap_m2,
                    },
                });
            }
        }
    }
    Ok(())
}

/// The area two polygons have in common, in m², if it is beyond the tolerance.
fn overlap_m2(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> Option<f64> {
    // Relate uses exact predicates: neighbours sharing their border vertices are "touching",
    // their interiors do not meet, and the costlier intersection is skipped.
    let interiors = a.relate(b).get(CoordPos::Inside, CoordPos::Inside);
    if interiors != Dimensions::TwoDimensional {
        return None;
    }
    let overlap = a.intersection(b).geodesic_area_unsigned();
    (overlap > OVERLAP_TOLERANCE_M2).then_some(overlap)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::InteriorPoint;
    use serde_json::json;

    const FILE: &str = "test-areas.geojson";

    /// A square feature `size` degrees wide with its south-west corner at (lon, lat).
    fn square(slug: &str, lon: f64, lat: f64, size: f64) -> Value {
        let ring = json!([
            [lon, lat],
            [lon + size, lat],
            [lon + size, lat + size],
            [lon, lat + size],
            [lon, lat]
        ]);
        json!({
            "type": "Feature",
            "properties": { "slug": slug, "name": slug.to_uppercase(), "commune": "Testville", "postcodes": ["35400"] },
            "geometry": { "type": "Polygon", "coordinates": [ring] }
        })
    }

    fn collection(features: Vec<Value>) -> String {
        json!({ "type": "FeatureCollection", "features": features }).to_string()
    }

    fn load(features: Vec<Value>) -> Result<Areas, AreaError> {
        Areas::from_geojson(FILE, &collection(features))
    }

    /// Loads, expects an error, checks it names the file (and the slug if given) and returns
    /// the message for further checks.
    fn error_message(src: &str, slug: Option<&str>) -> String {
        let err = Areas::from_geojson(FILE, src).expect_err("this GeoJSON must be rejected");
        let message = err.to_string();
        assert!(message.contains(FILE), "message does not name the file: {message}");
        if let Some(slug) = slug {
            assert!(
                message.contains(&format!("\"{slug}\"")),
                "message does not name the slug: {message}"
            );
        }
        message
    }

    fn feature_problem(src: &str) -> (usize, FeatureProblem) {
        match Areas::from_geojson(FILE, src) {
            Err(AreaError::Feature { index, problem, .. }) => (index, problem),
            other => panic!("expected a feature error, got {other:?}"),
        }
    }

    fn set_property(feature: &mut Value, key: &str, value: Value) {
        feature["properties"][key] = value;
    }

    // --- the example file ---

    #[test]
    fn example_areas_touch_but_never_overlap() {
        // Stricter than loading (which tolerates slivers under a square metre): the example
        // shares border vertices exactly, so no two interiors meet at all.
        let areas = Areas::example();
        for (i, a) in areas.all().iter().enumerate() {
            for b in &areas.all()[..i] {
                let interiors = a.polygon.relate(&b.polygon).get(CoordPos::Inside, CoordPos::Inside);
                assert_eq!(interiors, Dimensions::Empty, "{} and {}", a.slug, b.slug);
            }
        }
    }

    #[test]
    fn example_loads_with_at_least_six_areas() {
        let areas = Areas::example();
        assert!(areas.all().len() >= 6, "only {} areas", areas.all().len());
        for area in areas.all() {
            assert!(!area.postcodes.is_empty());
            assert_eq!(area.timezone, chrono_tz::Europe::Paris);
            assert_eq!(area.holiday_zone, HolidayZone::B);
            assert_eq!(areas.get(area.slug.as_str()), Some(area));
        }
        assert_eq!(areas.get("saint-servan").map(|a| a.name.as_str()), Some("Saint-Servan"));
        assert!(areas.get("nowhere").is_none());
    }

    #[test]
    fn example_locates_an_interior_point_of_each_area() {
        let areas = Areas::example();
        for area in areas.all() {
            let point = area.polygon.interior_point().expect("non-empty polygon");
            let found = areas.locate(point.y(), point.x()).map(|a| a.slug.as_str());
            assert_eq!(found, Some(area.slug.as_str()), "interior point {point:?}");
        }
    }

    #[test]
    fn example_follows_the_real_geography() {
        // Approximate centres of the real quartiers (lat, lon).
        let areas = Areas::example();
        for (lat, lon, slug) in [
            (48.6490, -2.0250, "intra-muros"),
            (48.6360, -2.0150, "saint-servan"),
            (48.6600, -1.9850, "parame"),
            (48.6800, -1.9600, "rotheneuf"),
            (48.6400, -1.9950, "la-decouverte"),
            (48.6670, -1.9750, "saint-ideuc"),
            (48.6250, -1.9750, "la-madeleine"),
            (48.6470, -2.0050, "rocabey"),
            (48.6320, -2.0600, "dinard"),
        ] {
            assert_eq!(
                areas.locate(lat, lon).map(|a| a.slug.as_str()),
                Some(slug),
                "({lat}, {lon})"
            );
        }
    }

    #[test]
    fn example_sea_points_are_in_no_area() {
        let areas = Areas::example();
        assert!(areas.locate(49.5, -3.0).is_none(), "middle of the Channel");
        assert!(
            areas.locate(48.6300, -2.0350).is_none(),
            "the Rance between Saint-Servan and Dinard"
        );
        assert!(
            areas.locate(48.6600, -2.0300).is_none(),
            "off the ramparts, near the Grand Bé"
        );
        assert!(areas.locate(f64::NAN, -2.0).is_none());
        assert!(areas.locate(48.65, f64::INFINITY).is_none());
    }

    #[test]
    fn example_shared_vertex_belongs_to_the_first_area_in_file_order() {
        let areas = Areas::example();
        // Corner shared by rocabey, la-decouverte and parame (and on rocabey's bounding box).
        assert_eq!(areas.locate(48.6460, -2.0030).map(|a| a.slug.as_str()), Some("rocabey"));
        // Corner shared by saint-servan, rocabey and la-decouverte.
        assert_eq!(
            areas.locate(48.6440, -2.0100).map(|a| a.slug.as_str()),
            Some("saint-servan")
        );
    }

    #[test]
    fn example_postcode_lookup() {
        let areas = Areas::example();
        let saint_malo = areas.by_postcode("35400");
        assert!(saint_malo.len() >= 2, "35400 must be shared by several areas");
        assert!(saint_malo.iter().all(|a| a.commune == "Saint-Malo"));
        let position = |slug: &str| areas.all().iter().position(|a| a.slug.as_str() == slug).unwrap();
        let indices: Vec<usize> = saint_malo.iter().map(|a| position(a.slug.as_str())).collect();
        assert!(
            indices.windows(2).all(|w| w[0] < w[1]),
            "not in file order: {indices:?}"
        );

        let lenient: Vec<&str> = areas.by_postcode(" 35 400 ").iter().map(|a| a.slug.as_str()).collect();
        let strict: Vec<&str> = saint_malo.iter().map(|a| a.slug.as_str()).collect();
        assert_eq!(lenient, strict);
        assert_eq!(areas.by_postcode("35\u{202f}400").len(), saint_malo.len());

        let dinard: Vec<&str> = areas.by_postcode("35800").iter().map(|a| a.slug.as_str()).collect();
        assert_eq!(dinard, ["dinard"]);
        assert!(areas.by_postcode("75001").is_empty());
        assert!(areas.by_postcode("3540").is_empty());
        assert!(areas.by_postcode("saint-malo").is_empty());
        assert!(areas.by_postcode("").is_empty());
    }

    #[test]
    fn example_summary_line() {
        let areas = Areas::example();
        assert_eq!(
            areas.get("intra-muros").unwrap().summary(),
            "intra-muros\tIntra-Muros\tSaint-Malo\t35400"
        );
    }

    // --- newtypes ---

    #[test]
    fn slug_rules() {
        for good in ["ab", "intra-muros", "zone-2", "a1-b2-c3", "12", &"a".repeat(48)] {
            assert_eq!(AreaSlug::parse(good).unwrap().as_str(), good);
        }
        for bad in [
            "",
            "a",
            "Intra-Muros",
            "saint servan",
            "paramé",
            "-parame",
            "parame-",
            "saint--servan",
            "a_b",
        ] {
            assert!(AreaSlug::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(AreaSlug::parse(&"a".repeat(49)).is_err());
        let message = AreaSlug::parse("Paramé").unwrap_err().to_string();
        assert!(
            message.contains("\"Paramé\"") && message.contains("lower-case"),
            "{message}"
        );
    }

    #[test]
    fn postcode_rules() {
        assert_eq!(PostalCode::parse("35400").unwrap().as_str(), "35400");
        assert_eq!(PostalCode::parse("01000").unwrap().to_string(), "01000");
        for bad in ["3540", "354000", "35 400", " 35400", "3540a", "٣٥٤٠٠", ""] {
            assert!(PostalCode::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(PostalCode::parse_lenient(" 35 400\n").unwrap().as_str(), "35400");
        assert_eq!(PostalCode::parse_lenient("35\u{a0}400").unwrap().as_str(), "35400");
        assert!(PostalCode::parse_lenient("35-400").is_err());
        assert!("35400".parse::<PostalCode>().is_ok());
    }

    #[test]
    fn newtypes_serde_round_trip_and_validate() {
        let slug = AreaSlug::parse("saint-servan").unwrap();
        assert_eq!(serde_json::to_string(&slug).unwrap(), "\"saint-servan\"");
        assert_eq!(serde_json::from_str::<AreaSlug>("\"saint-servan\"").unwrap(), slug);
        assert!(serde_json::from_str::<AreaSlug>("\"Saint Servan\"").is_err());

        let postcode = PostalCode::parse("35400").unwrap();
        assert_eq!(serde_json::to_string(&postcode).unwrap(), "\"35400\"");
        assert_eq!(serde_json::from_str::<PostalCode>("\"35400\"").unwrap(), postcode);
        assert!(serde_json::from_str::<PostalCode>("\"354\"").is_err());
        assert!(
            serde_json::from_str::<PostalCode>("35400").is_err(),
            "a number is not a postcode"
        );
    }

    // --- loading crafted files ---

    #[test]
    fn defaults_options_and_unknown_properties() {
        let mut guiana = square("cayenne", -52.4, 4.9, 0.1);
        set_property(&mut guiana, "timezone", json!("America/Cayenne"));
        set_property(&mut guiana, "holiday_zone", json!("C"));
        set_property(&mut guiana, "postcodes", json!(["97300", "97351"]));
        set_property(&mut guiana, "osm_relation", json!(12345));
        let mut plain = square("plain", 0.0, 45.0, 0.1);
        set_property(&mut plain, "timezone", Value::Null);
        let areas = load(vec![guiana, plain]).unwrap();

        let cayenne = areas.get("cayenne").unwrap();
        assert_eq!(cayenne.timezone, chrono_tz::America::Cayenne);
        assert_eq!(cayenne.holiday_zone, HolidayZone::C);
        assert_eq!(cayenne.summary(), "cayenne\tCAYENNE\tTestville\t97300,97351");
        assert_eq!(areas.by_postcode("97351").len(), 1);

        let plain = areas.get("plain").unwrap();
        assert_eq!(plain.timezone, chrono_tz::Europe::Paris);
        assert_eq!(plain.holiday_zone, HolidayZone::B);
    }

    #[test]
    fn neighbours_sharing_an_edge_are_accepted() {
        let areas = load(vec![square("west", 0.0, 0.0, 1.0), square("east", 1.0, 0.0, 1.0)]).unwrap();
        assert_eq!(areas.locate(0.5, 0.5).unwrap().slug.as_str(), "west");
        assert_eq!(areas.locate(0.5, 1.5).unwrap().slug.as_str(), "east");
        // On the shared edge: the first in file order.
        assert_eq!(areas.locate(0.5, 1.0).unwrap().slug.as_str(), "west");
        assert!(areas.locate(0.5, 2.5).is_none());
    }

    #[test]
    fn multipolygons_and_holes() {
        let island_with_lagoon = json!([
            [[10.0, 10.0], [11.0, 10.0], [11.0, 11.0], [10.0, 11.0], [10.0, 10.0]],
            [[10.4, 10.4], [10.4, 10.6], [10.6, 10.6], [10.6, 10.4], [10.4, 10.4]]
        ]);
        let islet = json!([[[12.0, 10.0], [12.5, 10.0], [12.5, 10.5], [12.0, 10.0]]]);
        let feature = json!({
            "type": "Feature",
            "properties": { "slug": "islands", "name": "Islands", "commune": "Testville", "postcodes": ["29990"] },
            "geometry": { "type": "MultiPolygon", "coordinates": [island_with_lagoon, islet] }
        });
        let areas = load(vec![feature]).unwrap();
        assert_eq!(areas.locate(10.2, 10.2).unwrap().slug.as_str(), "islands");
        assert_eq!(areas.locate(10.1, 12.4).unwrap().slug.as_str(), "islands");
        assert!(areas.locate(10.5, 10.5).is_none(), "in the lagoon");
        assert!(areas.locate(10.5, 11.5).is_none(), "between the islands");
    }

    #[test]
    fn load_from_disk_and_missing_file() {
        let dir = std::env::temp_dir().join(format!("voisinage-areas-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("areas.geojson");
        std::fs::write(
            &path,
            format!("\u{feff}{}", collection(vec![square("only", 0.0, 0.0, 1.0)])),
        )
        .unwrap();
        let areas = Areas::load(&path).unwrap();
        assert_eq!(areas.all().len(), 1);

        std::fs::write(&path, collection(vec![square("Bad Slug", 0.0, 0.0, 1.0)])).unwrap();
        let message = Areas::load(&path).unwrap_err().to_string();
        assert!(message.contains(&path.display().to_string()), "{message}");

        let missing = dir.join("missing.geojson");
        let err = Areas::load(&missing).unwrap_err();
        assert!(matches!(err, AreaError::Io { .. }));
        assert!(err.to_string().contains("missing.geojson"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    // --- each validation error ---

    #[test]
    fn rejects_bad_json() {
        let message = error_message("{\"type\": \"FeatureCollection\", ", None);
        assert!(message.contains("not valid JSON"), "{message}");
    }

    #[test]
    fn rejects_what_is_not_a_feature_collection() {
        let feature = square("alone", 0.0, 0.0, 1.0).to_string();
        let message = error_message(&feature, None);
        assert!(
            message.contains("expected a GeoJSON FeatureCollection") && message.contains("Feature"),
            "{message}"
        );
        let message = error_message("[1, 2]", None);
        assert!(message.contains("an array"), "{message}");
        let message = error_message("{\"type\": \"FeatureCollection\"}", None);
        assert!(message.contains("\"features\""), "{message}");
        let message = error_message(&collection(vec![]), None);
        assert!(message.contains("no features"), "{message}");
    }

    #[test]
    fn rejects_an_open_ring() {
        let mut feature = square("open", 0.0, 0.0, 1.0);
        feature["geometry"]["coordinates"][0].as_array_mut().unwrap().pop();
        feature["geometry"]["coordinates"][0]
            .as_array_mut()
            .unwrap()
            .push(json!([0.0, 0.5]));
        let src = collection(vec![feature]);
        let message = error_message(&src, Some("open"));
        assert!(
            message.contains("features[0]") && message.contains("not closed"),
            "{message}"
        );
        assert!(matches!(
            feature_problem(&src),
            (0, FeatureProblem::RingNotClosed { .. })
        ));
    }

    #[test]
    fn rejects_a_ring_with_too_few_positions() {
        let mut feature = square("tiny", 0.0, 0.0, 1.0);
        feature["geometry"]["coordinates"] = json!([[[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]]]);
        let src = collection(vec![feature]);
        error_message(&src, Some("tiny"));
        assert!(matches!(
            feature_problem(&src),
            (0, FeatureProblem::TooFewPositions { count: 3, .. })
        ));
    }

    #[test]
    fn rejects_a_flat_ring() {
        let mut feature = square("flat", 0.0, 0.0, 1.0);
        feature["geometry"]["coordinates"] = json!([[[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [0.0, 0.0]]]);
        let src = collection(vec![feature]);
        error_message(&src, Some("flat"));
        assert!(matches!(
            feature_problem(&src),
            (0, FeatureProblem::ZeroArea | FeatureProblem::InvalidGeometry(_))
        ));
    }

    #[test]
    fn rejects_a_self_intersecting_ring() {
        let mut feature = square("bow-tie", 0.0, 0.0, 1.0);
        feature["geometry"]["coordinates"] = json!([[[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]]);
        let src = collection(vec![feature]);
        let message = error_message(&src, Some("bow-tie"));
        assert!(message.contains("self-intersection"), "{message}");
        assert!(matches!(feature_problem(&src), (0, FeatureProblem::InvalidGeometry(_))));
    }

    #[test]
    fn rejects_coordinates_out_of_range() {
        let mut feature = square("swapped", 0.0, 0.0, 1.0);
        feature["geometry"]["coordinates"] =
            json!([[[48.6, -2.0], [48.7, -2.0], [48.7, 200.0], [48.6, -1.9], [48.6, -2.0]]]);
        let message = error_message(&collection(vec![feature]), Some("swapped"));
        assert!(
            message.contains("coordinates[0][2]") && message.contains("latitude 200"),
            "{message}"
        );

        let far_east = square("far-east", 179.5, 0.0, 1.0);
        let message = error_message(&collection(vec![far_east]), Some("far-east"));
        assert!(message.contains("longitude 180.5"), "{message}");
    }

    #[test]
    fn rejects_unsupported_or_missing_geometry() {
        let mut point = square("point", 0.0, 0.0, 1.0);
        point["geometry"] = json!({ "type": "Point", "coordinates": [0.0, 0.0] });
        let src = collection(vec![square("fine", 5.0, 5.0, 1.0), point]);
        let message = error_message(&src, Some("point"));
        assert!(
            message.contains("features[1]") && message.contains("Point"),
            "{message}"
        );

        let mut nothing = square("nothing", 0.0, 0.0, 1.0);
        nothing["geometry"] = Value::Null;
        let src = collection(vec![nothing]);
        error_message(&src, Some("nothing"));
        assert_eq!(feature_problem(&src), (0, FeatureProblem::MissingGeometry));

        let mut absent = square("absent", 0.0, 0.0, 1.0);
        absent.as_object_mut().unwrap().remove("geometry");
        let src = collection(vec![absent]);
        error_message(&src, Some("absent"));
        assert_eq!(feature_problem(&src), (0, FeatureProblem::MissingGeometry));
    }

    #[test]
    fn rejects_a_duplicate_slug() {
        let src = collection(vec![square("twice", 0.0, 0.0, 1.0), square("twice", 5.0, 5.0, 1.0)]);
        let message = error_message(&src, Some("twice"));
        assert!(
            message.contains("features[1]") && message.contains("features[0]"),
            "{message}"
        );
        assert_eq!(
            feature_problem(&src),
            (1, FeatureProblem::DuplicateSlug { first_index: 0 })
        );
    }

    #[test]
    fn rejects_a_bad_slug() {
        let src = collection(vec![square("Saint Servan", 0.0, 0.0, 1.0)]);
        let message = error_message(&src, Some("Saint Servan"));
        assert!(message.contains("invalid slug"), "{message}");

        let mut no_slug = square("x-x", 0.0, 0.0, 1.0);
        no_slug["properties"].as_object_mut().unwrap().remove("slug");
        let message = error_message(&collection(vec![no_slug]), None);
        assert!(
            message.contains("no slug") && message.contains("\"slug\" is missing"),
            "{message}"
        );
    }

    #[test]
    fn rejects_bad_postcodes() {
        for (postcodes, expected) in [
            (json!(["3540"]), FeatureProblem::BadPostcode("3540".into())),
            (json!(["35 400"]), FeatureProblem::BadPostcode("35 400".into())),
            (json!([]), FeatureProblem::NoPostcodes),
            (
                json!(["35400", "35400"]),
                FeatureProblem::DuplicatePostcode("35400".into()),
            ),
            (
                json!([35400]),
                FeatureProblem::WrongType {
                    property: "postcodes",
                    expected: "",
                },
            ),
            (
                json!("35400"),
                FeatureProblem::WrongType {
                    property: "postcodes",
                    expected: "",
                },
            ),
        ] {
            let mut feature = square("coded", 0.0, 0.0, 1.0);
            set_property(&mut feature, "postcodes", postcodes.clone());
            let src = collection(vec![feature]);
            let message = error_message(&src, Some("coded"));
            let (_, problem) = feature_problem(&src);
            match (&problem, &expected) {
                (FeatureProblem::WrongType { property, .. }, FeatureProblem::WrongType { property: want, .. }) => {
                    assert_eq!(property, want, "{postcodes}: {message}")
                }
                _ => assert_eq!(problem, expected, "{postcodes}: {message}"),
            }
        }
    }

    #[test]
    fn rejects_bad_names_timezones_and_holiday_zones() {
        for (key, value, needle) in [
            ("name", json!("   "), "\"name\" is empty"),
            ("name", json!("Saint\tServan"), "control character"),
            ("commune", json!(35), "\"commune\" must be a string"),
            ("timezone", json!("Europe/Saint-Malo"), "unknown time zone"),
            ("holiday_zone", json!("D"), "holiday_zone"),
        ] {
            let mut feature = square("props", 0.0, 0.0, 1.0);
            set_property(&mut feature, key, value);
            let message = error_message(&collection(vec![feature]), Some("props"));
            assert!(message.contains(needle), "{key}: {message}");
        }
        let mut bare = square("bare", 0.0, 0.0, 1.0);
        bare["properties"] = Value::Null;
        let src = collection(vec![bare]);
        error_message(&src, None);
        assert_eq!(feature_problem(&src), (0, FeatureProblem::MissingProperties));
    }

    #[test]
    fn rejects_a_malformed_feature() {
        let mut feature = square("weird", 0.0, 0.0, 1.0);
        feature["type"] = json!("Thing");
        let src = collection(vec![feature]);
        error_message(&src, Some("weird"));
        assert!(matches!(feature_problem(&src), (0, FeatureProblem::Malformed(_))));
    }

    #[test]
    fn rejects_overlapping_areas() {
        let src = collection(vec![
            square("first", 0.0, 0.0, 0.01),
            square("elsewhere", 3.0, 3.0, 0.01),
            square("second", 0.005, 0.005, 0.01),
        ]);
        let message = error_message(&src, Some("second"));
        assert!(
            message.contains("\"first\"") && message.contains("overlaps features[0]"),
            "{message}"
        );
        match feature_problem(&src) {
            (
                2,
                FeatureProblem::Overlap {
                    other_index: 0,
                    overlap_m2,
                    ..
                },
            ) => {
                // 0.005° × 0.005° at the equator: about 557 m × 553 m ≈ 308,000 m².
                assert!((250_000.0..350_000.0).contains(&overlap_m2), "{overlap_m2}");
            }
            other => panic!("{other:?}"),
        }
        // One area entirely inside another is an overlap too.
        let src = collection(vec![square("outer", 0.0, 0.0, 1.0), square("inner", 0.2, 0.2, 0.1)]);
        error_message(&src, Some("inner"));
    }

    #[test]
    fn rejects_overlapping_parts_of_one_multipolygon() {
        let mut feature = square("parts", 0.0, 0.0, 1.0);
        feature["geometry"] = json!({
            "type": "MultiPolygon",
            "coordinates": [
                [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]],
                [[[0.5, 0.5], [1.5, 0.5], [1.5, 1.5], [0.5, 1.5], [0.5, 0.5]]]
            ]
        });
        let src = collection(vec![feature]);
        error_message(&src, Some("parts"));
        assert!(matches!(feature_problem(&src), (0, FeatureProblem::InvalidGeometry(_))));
    }
}
