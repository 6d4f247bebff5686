//! voisinage: a neighbourhood mutual-aid daemon.
//!
//! The library holds everything; `src/main.rs` is a thin command-line front.
pub mod cli;
pub mod parse;
