//! CSV reports operators download (a backfill run's, a contacts import's): one writer, the
//! same quoting, errors as the domain's.

use super::error::DomainError;

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
