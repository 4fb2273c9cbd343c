//! Ponte's application crate: the portal (UI + server functions) and, behind the `ssr`
//! feature, the domain layer that owns every business rule and all storage.
#![recursion_limit = "256"]

pub mod api;
pub mod model;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod domain;

pub use ui::{shell, App};

// Translations: pt-BR first, English second. Keys live in `app/locales/*.json` and are
// checked at compile time; this creates the `i18n` module (`use_i18n`, `t!`, `Locale`).
mod i18n_gen {
    // The macro form is deprecated upstream in favour of a build script that pulls in
    // ICU's data exporter; the macro generates the same code at a fraction of the build.
    #![allow(deprecated, missing_docs)]
    leptos_i18n::load_locales!();
}
pub use i18n_gen::i18n;
