//! The house rules of ARCHITECTURE.md, checked so they hold without anyone remembering:
//! SQL only in `app/src/domain`, no web framework inside the domain, both migration
//! folders in step.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn mentions(path: &Path, word: &str) -> bool {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines().filter(|l| !l.trim_start().starts_with("//")).any(|l| {
        l.match_indices(word).any(|(i, _)| {
            let before = l[..i].chars().last();
            let after = l[i + word.len()..].chars().next();
            !before.is_some_and(|c| c.is_alphanumeric() || c == '_') && after.is_some_and(|c| c == ':' || c == ';')
        })
    })
}

#[test]
fn sqlx_is_used_only_inside_the_domain() {
    let root = root();
    let domain = root.join("app/src/domain");
    let mut files = Vec::new();
    for dir in ["app/src", "server/src", "frontend/src"] {
        rust_files(&root.join(dir), &mut files);
    }
    let offenders: Vec<_> = files.iter().filter(|f| !f.starts_with(&domain) && mentions(f, "sqlx")).collect();
    assert!(offenders.is_empty(), "sqlx outside app/src/domain: {offenders:?}");
    assert!(files.iter().any(|f| f.starts_with(&domain) && mentions(f, "sqlx")), "the check sees the domain's use");
}

#[test]
fn the_domain_knows_nothing_of_axum_or_leptos() {
    let mut files = Vec::new();
    rust_files(&root().join("app/src/domain"), &mut files);
    assert!(!files.is_empty());
    for word in ["axum", "leptos", "leptos_axum", "leptos_router"] {
        let offenders: Vec<_> = files.iter().filter(|f| mentions(f, word)).collect();
        assert!(offenders.is_empty(), "{word} inside app/src/domain: {offenders:?}");
    }
}

#[test]
fn both_migration_folders_hold_the_same_files() {
    let list = |d: &str| {
        let mut v: Vec<String> = std::fs::read_dir(root().join("migrations").join(d))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let (sqlite, postgres) = (list("sqlite"), list("postgres"));
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres);
    let (a, b) = app::domain::store::migration_names();
    assert_eq!(a, b, "embedded migrations differ between engines");
}
