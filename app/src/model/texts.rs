//! The locale files read at run time, for texts that travel as codes (`ErrorCode`,
//! `NoteCode`): one section of `locales/<locale>.json` per kind of code, each read once.
//! The portal's own labels go through leptos_i18n's macros instead.

use std::collections::HashMap;
use std::sync::OnceLock;

/// The portal's languages, for texts read outside leptos_i18n's macros.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    PtBr,
    En,
}

type Sections = HashMap<String, HashMap<String, String>>;

/// The texts of one section (`errors`, `notes`) of `lang`'s locale file, by key.
pub(crate) fn section(lang: Lang, name: &str) -> &'static HashMap<String, String> {
    static PT_BR: OnceLock<Sections> = OnceLock::new();
    static EN: OnceLock<Sections> = OnceLock::new();
    static EMPTY: OnceLock<HashMap<String, String>> = OnceLock::new();
    let (cell, text) = match lang {
        Lang::PtBr => (&PT_BR, include_str!("../../locales/pt-BR.json")),
        Lang::En => (&EN, include_str!("../../locales/en.json")),
    };
    let sections = cell.get_or_init(|| {
        let file: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        file.as_object()
            .into_iter()
            .flatten()
            .filter_map(|(name, texts)| {
                let texts = texts.as_object()?;
                Some((
                    name.clone(),
                    texts.iter().filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string()))).collect(),
                ))
            })
            .collect()
    });
    sections.get(name).unwrap_or_else(|| EMPTY.get_or_init(HashMap::new))
}
