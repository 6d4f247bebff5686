//! The integration test binary: one binary, a file per feature (see ../shared/DESIGN.md).

mod chaos;
mod core_ingest;
mod core_outbox;
mod daemon_cli;
mod digest;
mod email;
mod failure_notices;
mod health;
mod helpers;
mod languages;
mod loans;
mod matches;
mod matrix;
mod media;
mod media_files;
mod media_posts;
mod moderation;
mod municipal;
mod municipal_report;
mod operator_logs;
mod parse_constructions;
mod parse_corpus;
mod parse_robustness;
mod partners;
mod polls;
mod questions;
mod store_enums;
mod telegram;

#[path = "../peers/botapi.rs"]
mod botapi;
