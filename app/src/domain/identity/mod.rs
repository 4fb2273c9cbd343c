//! External identities of people on messaging channels: how their ids are normalized so
//! one person always maps to one key per (org, source).

pub mod phone;
