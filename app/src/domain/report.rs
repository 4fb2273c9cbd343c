//! CSV reports operators download (a backfill run's, a contacts import's): one writer, the
//! same quoting, errors as the domain's, and the values in pt-BR (a spreadsheet has no
//! language switch; a machine `codigo` column sits beside the label where scripts need one).

use super::error::DomainError;
use crate::model::{ConflictKind, ConflictStatus};

pub struct CsvReport(csv::Writer<Vec<u8>>);

impl CsvReport {
    pub fn new(header: &[&str]) -> Result<Self, DomainError> {
        let mut r = CsvReport(csv::Writer::from_writer(Vec::new()));
        r.0.write_record(header).map_err(csv_error)?;
        Ok(r)
    }

    pub fn row<I, F>(&mut self, fields: I) -> Result<(), DomainError>
    where
        I: IntoIterator<Item = F>,
        F: AsRef<[u8]>,
    {
        self.0.write_record(fields).map_err(csv_error)
    }

    pub fn finish(self) -> Result<String, DomainError> {
        let bytes = self.0.into_inner().map_err(|e| DomainError::Internal(e.to_string()))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

fn csv_error(e: csv::Error) -> DomainError {
    DomainError::Internal(e.to_string())
}

/// What a backfill report line is about, in pt-BR: a conflict's kind, or (for `empty_phone`)
/// a contact without a phone.
pub fn kind_label(code: &str) -> &'static str {
    match code.parse::<ConflictKind>() {
        Ok(ConflictKind::NumberTaken) => "Número já ligado a outro contato",
        Ok(ConflictKind::DuplicatePhone) => "Dois contatos com o mesmo número",
        Ok(ConflictKind::NormalizesDifferently) => "Contato já tem outra identidade de WhatsApp",
        Ok(ConflictKind::AmbiguousIdentity) => "Número ligado a dois contatos",
        Ok(ConflictKind::ConversationContactMismatch) => "Conversa ligada a outro contato",
        Ok(ConflictKind::InvalidPhone) => "Telefone inválido",
        Err(_) => "Contato sem telefone",
    }
}

pub fn status_label(status: ConflictStatus) -> &'static str {
    match status {
        ConflictStatus::Open => "aberta",
        ConflictStatus::Resolved => "resolvida",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_values_read_in_portuguese() {
        assert_eq!(kind_label("duplicate_phone"), "Dois contatos com o mesmo número");
        assert_eq!(kind_label("empty_phone"), "Contato sem telefone");
        assert_eq!(status_label(ConflictStatus::Open), "aberta");
        for kind in ConflictKind::ALL {
            assert_ne!(kind_label(kind.as_str()), kind_label("empty_phone"), "{kind}");
        }
    }
}
