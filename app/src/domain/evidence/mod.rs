//! Go-live evidence (issue 12): files attached to a checklist item or to the org, stored
//! through `object_store` under Ponte's own keys, typed by their content (`sniff`).

pub mod blob;
pub mod sniff;

use crate::model::ErrorCode;

/// The longest file name kept for display.
const NAME_MAX: usize = 120;

/// The uploaded file's name as shown (never used as a key). A name that tries to be a
/// path (`../`, `/abs`, `C:\`, NUL) is refused rather than guessed at: browsers send a
/// bare name, so anything else was made by hand.
pub fn display_name(raw: &str) -> Result<String, ErrorCode> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(ErrorCode::FileNameInvalid);
    }
    let pathlike = name.contains(['/', '\\', '\0']) || name == "." || name == "..";
    if pathlike || name.chars().any(char::is_control) {
        return Err(ErrorCode::FileNameInvalid);
    }
    Ok(name.chars().take(NAME_MAX).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_shown_never_followed() {
        assert_eq!(display_name(" print da tela.png ").as_deref(), Ok("print da tela.png"));
        assert_eq!(display_name("relatório ção.log").as_deref(), Ok("relatório ção.log"));
        assert_eq!(display_name(&"a".repeat(300)).map(|n| n.chars().count()), Ok(NAME_MAX));
        for bad in [
            "../../etc/passwd",
            "/etc/passwd",
            "C:\\Windows\\x.png",
            "a\\b",
            "nul\0.png",
            "..",
            ".",
            "",
            "  ",
            "tab\there",
        ] {
            assert_eq!(display_name(bad), Err(ErrorCode::FileNameInvalid), "{bad:?}");
        }
    }
}
