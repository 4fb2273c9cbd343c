//! What an uploaded file is, from its bytes alone, decided while it streams: images and
//! PDF by their magic bytes (`infer`), everything else must be UTF-8 text without NULs and
//! is told apart as JSON / HAR, CSV or plain text by its beginning. Markup (HTML, SVG, XML)
//! is refused even though it is text: a browser would run its scripts. Any other binary
//! (executables, archives, office files…) is refused, named by what `infer` saw.

use crate::model::{ErrorCode, EvidenceType};

/// How much of the beginning is kept to decide (magic bytes need a few hundred; the text
/// kinds are judged on up to this much).
const HEAD: usize = 64 * 1024;
/// Enough for every magic number `infer` knows of the accepted kinds.
const MAGIC: usize = 512;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    Empty,
    /// A binary of another kind: what it looked like (a MIME type), when known.
    Binary(Option<&'static str>),
    /// HTML, SVG or XML.
    Markup,
    /// Not UTF-8, or text with NUL bytes.
    NotText,
}

impl Refusal {
    pub fn code(&self) -> ErrorCode {
        match self {
            Refusal::Empty => ErrorCode::EvidenceEmpty,
            Refusal::Markup => ErrorCode::EvidenceMarkup,
            Refusal::Binary(_) | Refusal::NotText => ErrorCode::EvidenceTypeRefused,
        }
    }
}

/// Fed the upload chunk by chunk; says as early as it can when the file is refused.
#[derive(Default)]
pub struct Sniffer {
    head: Vec<u8>,
    /// Decided by magic bytes once enough has arrived (`None`: text, to be judged at the end).
    binary: Option<EvidenceType>,
    decided: bool,
    /// The bytes of a UTF-8 sequence cut by a chunk boundary.
    carry: Vec<u8>,
    size: u64,
}

impl Sniffer {
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), Refusal> {
        self.size += chunk.len() as u64;
        let mut take = 0;
        if self.head.len() < HEAD {
            take = (HEAD - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        if !self.decided {
            if self.head.len() < MAGIC {
                return Ok(());
            }
            // Deciding now: until here every byte went to the head only.
            self.decide()?;
            if self.binary.is_none() {
                let head = std::mem::take(&mut self.head);
                let checked = self.check_text(&head);
                self.head = head;
                checked?;
                return self.check_text(&chunk[take..]);
            }
            return Ok(());
        }
        if self.binary.is_none() {
            self.check_text(chunk)?;
        }
        Ok(())
    }

    /// The type, once every byte has been fed.
    pub fn finish(mut self) -> Result<EvidenceType, Refusal> {
        if self.size == 0 {
            return Err(Refusal::Empty);
        }
        if !self.decided {
            self.decide()?;
            let head = std::mem::take(&mut self.head);
            if self.binary.is_none() {
                self.check_text(&head)?;
            }
            self.head = head;
        }
        if let Some(kind) = self.binary {
            return Ok(kind);
        }
        if !self.carry.is_empty() {
            return Err(Refusal::NotText);
        }
        Ok(text_kind(&self.head, self.size <= HEAD as u64))
    }

    fn decide(&mut self) -> Result<(), Refusal> {
        self.decided = true;
        let Some(kind) = infer::get(&self.head) else {
            return if is_markup(&self.head) { Err(Refusal::Markup) } else { Ok(()) };
        };
        self.binary = Some(match kind.mime_type() {
            "image/png" => EvidenceType::Png,
            "image/jpeg" => EvidenceType::Jpeg,
            "image/webp" => EvidenceType::Webp,
            "image/gif" => EvidenceType::Gif,
            "application/pdf" => EvidenceType::Pdf,
            "text/html" | "text/xml" | "image/svg+xml" => return Err(Refusal::Markup),
            other => return Err(Refusal::Binary(Some(other))),
        });
        Ok(())
    }

    /// Valid UTF-8 across chunk boundaries, and no NUL.
    fn check_text(&mut self, chunk: &[u8]) -> Result<(), Refusal> {
        let mut bytes = std::mem::take(&mut self.carry);
        bytes.extend_from_slice(chunk);
        if bytes.contains(&0) {
            return Err(Refusal::NotText);
        }
        match std::str::from_utf8(&bytes) {
            Ok(_) => Ok(()),
            // A sequence cut at the end of the chunk: keep its bytes for the next one.
            Err(e) if e.error_len().is_none() => {
                self.carry = bytes[e.valid_up_to()..].to_vec();
                Ok(())
            }
            Err(_) => Err(Refusal::NotText),
        }
    }
}

/// Which text kind, from the beginning (`whole`: the head is the whole file).
fn text_kind(head: &[u8], whole: bool) -> EvidenceType {
    // The head may end inside a character: judge what decodes.
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default(),
    };
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let parsed = whole.then(|| serde_json::from_str::<serde_json::Value>(text.trim_start_matches('\u{feff}')));
        match parsed {
            Some(Ok(v)) if v.pointer("/log/entries").is_some_and(|e| e.is_array()) => return EvidenceType::Har,
            Some(Ok(_)) => return EvidenceType::Json,
            // Not JSON after all: a log that starts with a bracket.
            Some(Err(_)) => {}
            None if trimmed.starts_with('{') && trimmed.contains("\"log\"") && trimmed.contains("\"entries\"") => {
                return EvidenceType::Har
            }
            None => return EvidenceType::Json,
        }
    }
    if looks_like_csv(text) {
        return EvidenceType::Csv;
    }
    EvidenceType::Text
}

/// Two or more lines with the same number (≥ 1) of one separator (`,` `;` or tab).
fn looks_like_csv(text: &str) -> bool {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).take(6).collect();
    // The last line of the head may be cut: judge the complete ones when there are enough.
    let lines = if lines.len() > 2 { &lines[..lines.len() - 1] } else { &lines[..] };
    if lines.len() < 2 {
        return false;
    }
    [',', ';', '\t'].iter().any(|sep| {
        let first = lines[0].matches(*sep).count();
        first > 0 && lines.iter().all(|l| l.matches(*sep).count() == first)
    })
}

/// Text that opens with a tag (HTML, SVG, XML): refused even though it is text.
fn is_markup(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&head[..head.len().min(1024)]);
    text.trim_start_matches('\u{feff}').trim_start().starts_with('<')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sniff_in(bytes: &[u8], chunk: usize) -> Result<EvidenceType, Refusal> {
        let mut s = Sniffer::default();
        for c in bytes.chunks(chunk.max(1)) {
            s.feed(c)?;
        }
        s.finish()
    }

    fn sniff(bytes: &[u8]) -> Result<EvidenceType, Refusal> {
        // Every chunking gives the same answer.
        let whole = sniff_in(bytes, bytes.len().max(1));
        for size in [1, 3, 7, 511, 4096] {
            assert_eq!(sniff_in(bytes, size), whole, "chunks of {size}");
        }
        whole
    }

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

    #[test]
    fn images_and_pdf_by_their_magic_bytes() {
        assert_eq!(sniff(PNG), Ok(EvidenceType::Png));
        assert_eq!(sniff(b"\xff\xd8\xff\xe0\0\x10JFIF\0"), Ok(EvidenceType::Jpeg));
        assert_eq!(sniff(b"GIF89a\x01\0\x01\0"), Ok(EvidenceType::Gif));
        assert_eq!(sniff(b"RIFF\x24\0\0\0WEBPVP8 "), Ok(EvidenceType::Webp));
        assert_eq!(sniff(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), Ok(EvidenceType::Pdf));
        let mut big_png = PNG.to_vec();
        big_png.extend(std::iter::repeat_n(0xAB, 100_000));
        assert_eq!(sniff(&big_png), Ok(EvidenceType::Png), "binary after the magic is fine for an image");
    }

    #[test]
    fn text_kinds_by_their_content() {
        assert_eq!(
            sniff("2026-12-07 10:00:01 INFO webhook aceito\nsegunda linha ç\n".as_bytes()),
            Ok(EvidenceType::Text)
        );
        assert_eq!(sniff(b"nome,telefone\nMaria,11987654321\nJoao,11912345678\n"), Ok(EvidenceType::Csv));
        assert_eq!(sniff(b"nome;telefone\nMaria;119\n"), Ok(EvidenceType::Csv));
        assert_eq!(sniff(br#"{"ok": true, "n": [1, 2]}"#), Ok(EvidenceType::Json));
        assert_eq!(sniff(br#"{"log": {"version": "1.2", "entries": []}}"#), Ok(EvidenceType::Har));
        assert_eq!(sniff(b"[INFO] starts with a bracket but is a log\n"), Ok(EvidenceType::Text));
        assert_eq!(sniff("\u{feff}texto com BOM".as_bytes()), Ok(EvidenceType::Text));
        // A multi-byte character cut by every chunk boundary is still text.
        let accents = "ação é útil — ".repeat(10_000);
        assert_eq!(sniff(accents.as_bytes()), Ok(EvidenceType::Text));
    }

    #[test]
    fn everything_else_is_refused_and_says_why() {
        assert_eq!(sniff(b""), Err(Refusal::Empty));
        let mut elf = b"\x7fELF\x02\x01\x01\0".to_vec();
        elf.extend([0u8; 600]);
        assert!(matches!(sniff(&elf), Err(Refusal::Binary(Some(_)))), "an executable named .png");
        let mut exe = b"MZ\x90\0\x03\0\0\0".to_vec();
        exe.extend([0u8; 600]);
        assert!(matches!(sniff(&exe), Err(Refusal::Binary(Some(_)))));
        assert_eq!(sniff(b"PK\x03\x04\x14\0\0\0\x08\0").map_err(|r| r.code()), Err(ErrorCode::EvidenceTypeRefused));
        assert_eq!(sniff(b"<!DOCTYPE html><html><script>alert(1)</script></html>"), Err(Refusal::Markup));
        assert_eq!(sniff(b"  <svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>"), Err(Refusal::Markup));
        assert_eq!(sniff(b"<?xml version=\"1.0\"?><a/>"), Err(Refusal::Markup));
        assert_eq!(sniff(b"texto\0com NUL"), Err(Refusal::NotText));
        assert_eq!(sniff(b"latin-1 \xe7\xe3o"), Err(Refusal::NotText));
        assert_eq!(sniff(b"cut at the end \xc3"), Err(Refusal::NotText));
    }
}
