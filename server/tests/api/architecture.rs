//! The house rules of ARCHITECTURE.md, checked so they hold without anyone remembering:
//! SQL only in `app/src/domain`, no web framework inside the domain, both migration
//! folders in step.

use std::path::{Path, PathBuf};

/// The repository being tested: `cargo test` says where at run time (a binary built in
/// another checkout would otherwise check that checkout's files).
fn root() -> PathBuf {
    let server = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string());
    Path::new(&server).parent().unwrap().to_path_buf()
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

/// The code of a Rust file without its comments and string or char literals, so that a
/// name found in it is a real use (a path, an import in any form, an attribute, `extern
/// crate`), never prose or SQL text.
fn code_of(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !ident_char(chars.get(i.wrapping_sub(1))) {
            // Raw string: r"…" or r#"…"#, closed by a quote and as many hashes.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            while j < chars.len() && !(chars[j] == '"' && (0..hashes).all(|k| chars.get(j + 1 + k) == Some(&'#'))) {
                j += 1;
            }
            i = j + 1 + hashes;
            out.push(' ');
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push(' ');
        } else if c == '\'' && (chars.get(i + 2) == Some(&'\'') || next == Some('\\')) {
            // A char literal ('x' or '\n'); lifetimes ('a) are left alone.
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push(' ');
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_char(c: Option<&char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || *c == '_')
}

/// Whether the code names the crate `name` (or one of its family, `name_*`) as an identifier.
fn names_crate(code: &str, name: &str) -> bool {
    code.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .any(|word| word == name || word.strip_prefix(name).is_some_and(|rest| rest.starts_with('_')))
}

fn mentions(path: &Path, name: &str) -> bool {
    names_crate(&code_of(&std::fs::read_to_string(path).unwrap()), name)
}

#[test]
fn the_import_check_sees_every_form_and_no_prose() {
    let uses = [
        "use sqlx::FromRow;",
        "use {serde::Deserialize, sqlx};",
        "extern crate sqlx as db;",
        "#[derive(sqlx::FromRow)]",
        "#[sqlx(rename_all = \"snake_case\")]",
        "let x = ::sqlx::query(\"SELECT 1\");",
        "use sqlx_core::Error;",
        "fn f() -> sqlx :: Result<()> { todo() }",
    ];
    for text in uses {
        assert!(names_crate(&code_of(text), "sqlx"), "missed: {text}");
    }
    let prose = [
        "// sqlx is used here",
        "/* sqlx in a block /* nested */ comment */",
        "let s = \"sqlx::query\";",
        "let s = r#\"a \"sqlx\" quote\"#;",
        "let my_sqlx = 1; let sqlxy = 2;",
        "/// doc comment naming sqlx",
    ];
    for text in prose {
        assert!(!names_crate(&code_of(text), "sqlx"), "false alarm: {text}");
    }
    assert!(names_crate(&code_of("use leptos_router::A;"), "leptos"));
    assert!(!names_crate(&code_of("let c = 'a'; let lifetime: &'a str = \"leptos\";"), "leptos"));
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
    for word in ["axum", "leptos", "server_fn"] {
        let offenders: Vec<_> = files.iter().filter(|f| mentions(f, word)).collect();
        assert!(offenders.is_empty(), "{word} inside app/src/domain: {offenders:?}");
    }
}

/// A migration's statements with what may differ between the dialects taken out: comments,
/// spacing (also inside parentheses), and the one spelling of an auto-increment id each engine has.
fn normalised_sql(text: &str) -> String {
    text.lines()
        .map(|l| l.split("--").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join(" ")
        .replace("INTEGER PRIMARY KEY AUTOINCREMENT", "<id>")
        .replace("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "<id>")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("( ", "(")
        .replace(" )", ")")
        .replace(" ,", ",")
}

#[test]
fn both_migration_folders_hold_the_same_schema() {
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
    for name in &sqlite {
        let read = |d: &str| std::fs::read_to_string(root().join("migrations").join(d).join(name)).unwrap();
        let (a, b) = (normalised_sql(&read("sqlite")), normalised_sql(&read("postgres")));
        assert!(!a.is_empty(), "{name} is empty");
        assert_eq!(a, b, "{name}: the two dialects' statements differ beyond the id column");
    }
    let (a, b) = app::domain::store::migration_names();
    assert_eq!(a, b, "embedded migrations differ between engines");
}

#[test]
fn the_schema_comparison_sees_a_drifted_column() {
    let sqlite = "-- SQLite\nCREATE TABLE t (\n  id INTEGER PRIMARY KEY AUTOINCREMENT,\n  a TEXT NOT NULL\n);";
    let postgres =
        "-- PostgreSQL\nCREATE TABLE t (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, a TEXT NOT NULL);";
    assert_eq!(normalised_sql(sqlite), normalised_sql(postgres));
    assert_ne!(normalised_sql(sqlite), normalised_sql(&postgres.replace("NOT NULL", "")));
}
