//! Field rules shared by every record kind, and the error that names the
//! field that broke one.
//!
//! Text limits count Unicode scalar values (what a person sees as
//! characters), not bytes; the record's 64 KiB limit bounds the bytes.

use std::fmt;

/// A field that broke a rule, named by its path (`skills[2].headcount`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct FieldError {
    /// Path of the offending field within the body.
    pub field: String,
    /// What is wrong with it.
    pub problem: Problem,
}

/// What is wrong with a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Required text is empty (or only spaces).
    Empty,
    /// Text is longer than the limit, in characters.
    TooLong {
        /// The limit.
        max: usize,
    },
    /// A list has more entries than the limit.
    TooMany {
        /// The limit.
        max: usize,
    },
    /// A number lies outside its allowed range.
    OutOfRange {
        /// Smallest allowed value.
        min: u64,
        /// Largest allowed value.
        max: u64,
    },
    /// Text holds a control character (line breaks only where allowed).
    ControlCharacter,
    /// A name holds an invisible format character (Unicode category Cf:
    /// bidi controls, zero-width characters), which could reorder the text
    /// around it or make it imitate another name.
    FormatCharacter,
    /// The value is not in the expected form; the text says which.
    Malformed(&'static str),
    /// A value that must be unique within its list is repeated.
    Duplicate(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("must not be empty"),
            Self::TooLong { max } => write!(f, "must be at most {max} characters"),
            Self::TooMany { max } => write!(f, "must have at most {max} entries"),
            Self::OutOfRange { min, max } => write!(f, "must be between {min} and {max}"),
            Self::ControlCharacter => f.write_str("must not contain control characters"),
            Self::FormatCharacter => f.write_str(
                "must not contain invisible formatting characters (such as right-to-left \
                 overrides or zero-width spaces)",
            ),
            Self::Malformed(expected) => write!(f, "must be {expected}"),
            Self::Duplicate(value) => write!(f, "{value:?} appears more than once"),
        }
    }
}

/// Shorthand for the result of a field check.
pub type Checked = Result<(), FieldError>;

/// Builds the error for `field`.
pub fn fail(field: impl Into<String>, problem: Problem) -> FieldError {
    FieldError {
        field: field.into(),
        problem,
    }
}

/// Single-line text of `min..=max` characters, no control characters.
pub fn line(field: &str, value: &str, min: usize, max: usize) -> Checked {
    text_with(field, value, min, max, |_| false)
}

/// A name (SPEC §3.2): a [`line`] without invisible format characters, so
/// it can neither reorder the text shown after it nor imitate another
/// name with characters no one sees.
pub fn name(field: &str, value: &str, min: usize, max: usize) -> Checked {
    line(field, value, min, max)?;
    if value.chars().any(is_format) {
        return Err(fail(field, Problem::FormatCharacter));
    }
    Ok(())
}

/// Whether `c` is in Unicode's general category Cf (format), as of
/// Unicode 15.1: bidi controls, zero-width characters, the soft hyphen,
/// tags and the like.
pub fn is_format(c: char) -> bool {
    matches!(
        c as u32,
        0x00AD
            | 0x0600..=0x0605
            | 0x061C
            | 0x06DD
            | 0x070F
            | 0x0890..=0x0891
            | 0x08E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
    )
}

/// Text as a person typed it, with its line breaks as the spec writes them:
/// CR LF (what browsers send from a text area) and lone CR become LF. For
/// the boundaries where people's text comes in (forms, the API, the CLI),
/// before `parse`; never applied to signed records, which must already be
/// in this form.
pub fn normalise_line_breaks(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// Multi-line text of at most `max` characters: line breaks and tabs allowed.
pub fn prose(field: &str, value: &str, max: usize) -> Checked {
    text_with(field, value, 0, max, |c| c == '\n' || c == '\t')
}

fn text_with(
    field: &str,
    value: &str,
    min: usize,
    max: usize,
    allowed: fn(char) -> bool,
) -> Checked {
    if min > 0 && value.trim().is_empty() {
        return Err(fail(field, Problem::Empty));
    }
    if value.chars().nth(max).is_some() {
        return Err(fail(field, Problem::TooLong { max }));
    }
    if value.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err(fail(field, Problem::ControlCharacter));
    }
    Ok(())
}

/// A list of at most `max` entries.
pub fn count<T>(field: &str, list: &[T], max: usize) -> Checked {
    if list.len() > max {
        return Err(fail(field, Problem::TooMany { max }));
    }
    Ok(())
}

/// A number within `min..=max`.
pub fn within(field: &str, value: u64, min: u64, max: u64) -> Checked {
    if !(min..=max).contains(&value) {
        return Err(fail(field, Problem::OutOfRange { min, max }));
    }
    Ok(())
}

/// A list of short single-line strings, each `1..=max_len`, none repeated
/// (ignoring case).
pub fn labels(field: &str, list: &[String], max: usize, max_len: usize) -> Checked {
    count(field, list, max)?;
    let mut seen = std::collections::HashSet::new();
    for (i, value) in list.iter().enumerate() {
        name(&format!("{field}[{i}]"), value, 1, max_len)?;
        if !seen.insert(value.to_lowercase()) {
            return Err(fail(field, Problem::Duplicate(value.clone())));
        }
    }
    Ok(())
}

/// An ISO 3166-1 alpha-2 country code: two uppercase ASCII letters.
pub fn country(field: &str, value: &str) -> Checked {
    upper_letters(field, value, 2, "a two-letter country code such as GB")
}

/// An ISO 4217 currency code: three uppercase ASCII letters.
pub fn currency(field: &str, value: &str) -> Checked {
    upper_letters(field, value, 3, "a three-letter currency code such as GBP")
}

fn upper_letters(field: &str, value: &str, len: usize, expected: &'static str) -> Checked {
    if value.len() != len || !value.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(fail(field, Problem::Malformed(expected)));
    }
    Ok(())
}

/// A language tag: 2 or 3 lowercase letters, optionally `-` and a region
/// or script of 2 to 4 letters or digits (`en`, `cy`, `pt-BR`).
pub fn language(field: &str, value: &str) -> Checked {
    let mut parts = value.split('-');
    let primary = parts.next().unwrap_or_default();
    let primary_ok =
        (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_lowercase());
    let rest_ok =
        parts.all(|p| (2..=4).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    if !primary_ok || !rest_ok || value.len() > 12 {
        return Err(fail(
            field,
            Problem::Malformed("a language tag such as en or pt-BR"),
        ));
    }
    Ok(())
}

/// An `http` or `https` URL of at most 500 characters with a host and no
/// spaces or control characters.
pub fn url(field: &str, value: &str) -> Checked {
    line(field, value, 1, 500)?;
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or_default());
    let ok = host.is_some_and(|h| !h.is_empty()) && !value.contains(char::is_whitespace);
    if !ok {
        return Err(fail(
            field,
            Problem::Malformed("an http:// or https:// address"),
        ));
    }
    Ok(())
}

/// An e-mail address of at most 254 characters: one `@`, a non-empty local
/// part and a domain with a dot, no spaces.
pub fn email(field: &str, value: &str) -> Checked {
    line(field, value, 1, 254)?;
    let ok = match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !value.contains(char::is_whitespace)
        }
        None => false,
    };
    if !ok {
        return Err(fail(
            field,
            Problem::Malformed("an e-mail address such as hello@example.coop"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_required_text_is_empty() {
        assert_eq!(
            line("name", "   ", 1, 10).map_err(|e| e.problem),
            Err(Problem::Empty)
        );
    }

    #[test]
    fn limits_count_characters_not_bytes() {
        assert!(line("name", "ééééé", 1, 5).is_ok());
        assert!(line("name", "éééééé", 1, 5).is_err());
    }

    #[test]
    fn line_breaks_are_allowed_in_prose_only() {
        assert!(prose("description", "a\nb", 10).is_ok());
        assert!(line("name", "a\nb", 1, 10).is_err());
        assert!(prose("description", "a\u{7}b", 10).is_err());
    }

    #[test]
    fn names_refuse_bidi_overrides_and_zero_width_characters() {
        for hidden in [
            "Good\u{202E}pooC",
            "Hedge\u{200B}row",
            "\u{2066}x\u{2069}",
            "a\u{FEFF}",
        ] {
            assert_eq!(
                name("name", hidden, 1, 50).map_err(|e| e.problem),
                Err(Problem::FormatCharacter),
                "{hidden:?}"
            );
        }
        assert!(name("name", "Gwaith Agored Cyf — ‘Open Work’ 🏴", 1, 50).is_ok());
        assert!(
            name("name", "مؤسسة تعاونية", 1, 50).is_ok(),
            "right-to-left text itself is fine"
        );
        assert!(
            line("summary", "a\u{200B}b", 0, 50).is_ok(),
            "only names are this strict"
        );
    }

    #[test]
    fn repeated_labels_are_refused_ignoring_case() {
        let list = vec!["Rust".to_owned(), "rust".to_owned()];
        let err = labels("tags", &list, 5, 20).unwrap_err();
        assert_eq!(err.problem, Problem::Duplicate("rust".to_owned()));
    }

    #[test]
    fn codes_are_exact_uppercase_letters() {
        assert!(country("country", "GB").is_ok());
        assert!(country("country", "gb").is_err());
        assert!(currency("currency", "EUR").is_ok());
        assert!(currency("currency", "EURO").is_err());
    }

    #[test]
    fn urls_need_a_web_scheme_and_a_host() {
        assert!(url("website", "https://outlandish.com/about").is_ok());
        assert!(url("website", "javascript:alert(1)").is_err());
        assert!(url("website", "https:///nohost").is_err());
        assert!(url("website", "https://a b.com").is_err());
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert!(email("contact_email", "hello@agile.coop").is_ok());
        for bad in [
            "hello",
            "@agile.coop",
            "a@b",
            "a@b@c.coop",
            "a b@c.coop",
            "a@.coop",
        ] {
            assert!(email("contact_email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn language_tags_follow_the_bcp47_shape() {
        for good in ["en", "cy", "pt-BR", "zh-Hant"] {
            assert!(language("languages", good).is_ok(), "{good}");
        }
        for bad in ["EN", "english", "e", "en-", "en_GB"] {
            assert!(language("languages", bad).is_err(), "{bad}");
        }
    }
}
