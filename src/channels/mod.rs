//! Channel adapters. Each translates its chat tool into `Inbound` messages for the core and
//! implements `Channel` so the outbox can send through it.

pub mod console;
pub mod email;
pub mod matrix;
pub mod telegram;
