//! voisinage: a neighbourhood mutual-aid daemon.
//!
//! The library holds everything; `src/main.rs` is a thin command-line front.
pub mod app;
pub mod areas;
pub mod bench;
pub mod channels;
pub mod cli;
pub mod config;
pub mod core;
pub mod corpus;
pub mod digest;
pub mod hash;
pub mod http;
pub mod i18n;
pub mod media;
pub mod municipal;
pub mod parse;
pub mod partners;
pub mod pgcluster;
pub mod readers;
pub mod scheduler;
pub mod store;
pub mod telemetry;
pub mod tokens;
pub mod tryout;
