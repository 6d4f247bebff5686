//! The channel-neutral heart: adapters give it `Inbound` messages and implement `Channel`;
//! it decides what is stored and what is sent. It never imports a channel's library.

pub mod commands;
pub mod edits;
pub mod expiry;
pub mod ingest;
pub mod model;
pub mod onboarding;
pub mod outbox;
pub mod rooms;
pub mod router;
pub mod subscriptions;
