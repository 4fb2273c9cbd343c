//! External identities of people on messaging channels: how their ids are normalized so
//! one person always maps to one key per (org, source), which contact a sender is, and the
//! clashes kept for review.

pub mod conflict;
pub mod phone;
pub mod resolve;
