//! CSV downloads (RFC 4180: comma-separated, CRLF line ends, fields
//! quoted when they hold a comma, quote or line break), safe to open in a
//! spreadsheet: a cell that starts like a formula (`=`, `+`, `-`, `@`, tab,
//! CR) is written with a leading `'`, so text from another co-op can never
//! run as one.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// A CSV document being written.
#[derive(Debug, Default)]
pub struct Csv {
    text: String,
}

impl Csv {
    /// A document whose first row names the columns.
    pub fn new(columns: &[&str]) -> Csv {
        let mut csv = Csv::default();
        csv.row(columns.iter().map(|c| (*c).to_owned()));
        csv
    }

    /// Adds a row.
    pub fn row(&mut self, cells: impl IntoIterator<Item = String>) {
        let cells: Vec<String> = cells.into_iter().map(|c| cell(&c)).collect();
        self.text.push_str(&cells.join(","));
        self.text.push_str("\r\n");
    }

    /// The document as a download named `name`.
    pub fn download(self, name: &str) -> Response {
        (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            self.text,
        )
            .into_response()
    }

    /// The text written so far.
    #[cfg(test)]
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// One field, neutralised and quoted as needed.
fn cell(value: &str) -> String {
    let formula = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let value = if formula {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_formulas_neutralised() {
        let mut csv = Csv::new(&["name", "note"]);
        csv.row([
            "Hedgerow, Ltd".to_owned(),
            "said \"hi\"\nthen left".to_owned(),
        ]);
        csv.row(["=HYPERLINK(\"x\")".to_owned(), "-5".to_owned()]);
        assert_eq!(
            csv.text(),
            "name,note\r\n\"Hedgerow, Ltd\",\"said \"\"hi\"\"\nthen left\"\r\n\"'=HYPERLINK(\"\"x\"\")\",'-5\r\n"
        );
    }
}
