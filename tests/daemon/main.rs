//! The integration test binary: one binary, a file per feature (see ../shared/DESIGN.md).

mod helpers;
mod parse_constructions;
mod parse_corpus;
mod parse_robustness;
