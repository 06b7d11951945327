//! Errors in the words of the form a member filled in: "Skills, row 2:
//! level: unknown level", not "entries[1].level: unknown level". The API
//! keeps the paths (scripts want them); pages translate them here.

use crate::error::Failure;

/// Which form a failure came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// Our co-op's profile.
    Profile,
    /// Our co-op's skills, one row each.
    Skills,
    /// Our capacity windows, one row each.
    Capacity,
    /// A new contract.
    Contract,
    /// The partner search.
    Search,
}

impl Form {
    /// The heading of a form made of rows, and the list its rows fill.
    fn rows(self) -> Option<(&'static str, &'static str)> {
        match self {
            Form::Skills => Some(("Skills", "entries")),
            Form::Capacity => Some(("Capacity", "windows")),
            _ => None,
        }
    }

    /// The label the form shows for `field` (a path without its row).
    fn label(self, field: &str) -> Option<&'static str> {
        let table: &[(&str, &str)] = match self {
            Form::Profile => &[
                ("name", "Name"),
                ("summary", "Summary"),
                ("description", "Description"),
                ("website", "Website"),
                ("region", "Region"),
                ("country", "Country"),
                ("legal_form", "Legal form"),
                ("member_count", "Members"),
                ("contact_email", "Contact e-mail"),
                ("languages", "Languages"),
                ("tags", "Tags"),
                ("coordinates", "Coordinates"),
            ],
            Form::Skills => &[
                ("name", "skill"),
                ("level", "level"),
                ("headcount", "people"),
                ("concept", "ESCO concept"),
            ],
            Form::Capacity => &[
                ("from", "from"),
                ("to", "to"),
                ("person_days", "person-days"),
                ("rate", "rate"),
                ("rate.min", "rate min"),
                ("rate.max", "rate max"),
                ("rate.currency", "currency"),
                ("mode", "mode"),
                ("skills", "skills"),
            ],
            Form::Contract => &[
                ("key", "Key"),
                ("title", "Title"),
                ("buyer", "Buyer"),
                ("description", "Description"),
                ("required_skills", "Skills needed"),
                ("value", "Value"),
                ("value.amount", "Value"),
                ("value.currency", "Currency"),
                ("deadline", "Deadline"),
                ("period", "Work period"),
                ("period.start", "Work starts"),
                ("period.end", "Work ends"),
                ("location", "Location"),
                ("source_url", "Link"),
            ],
            Form::Search => &[
                ("skill", "Skills"),
                ("skills", "Skills"),
                ("q", "Text"),
                ("region", "Region"),
                ("from", "Available from"),
                ("to", "until"),
                ("min_days", "At least (person-days)"),
                ("max_rate", "Day rate at most"),
                ("match", "Match"),
                ("offset", "Page"),
                ("limit", "Page size"),
            ],
        };
        table.iter().find(|(k, _)| *k == field).map(|(_, v)| *v)
    }
}

/// The failure's message as the form's labels say it. `rows[i]` is the row
/// number (from 1, as the page counts) of the form's `i`th filled row, for
/// forms whose empty rows are dropped before checking; without it rows are
/// counted from the entry's position.
pub fn said(form: Form, failure: &Failure, rows: &[usize]) -> String {
    let Some(field) = failure.field.as_deref() else {
        return failure.message.clone();
    };
    let problem = failure
        .message
        .strip_prefix(field)
        .and_then(|rest| rest.strip_prefix(": "))
        .unwrap_or(&failure.message);
    format!("{}: {problem}", place(form, field, rows))
}

/// Where `field` is on the form: "Skills, row 2: level".
fn place(form: Form, field: &str, rows: &[usize]) -> String {
    if let Some((heading, list)) = form.rows() {
        if let Some((index, rest)) = indexed(field, list) {
            let row = rows.get(index).copied().unwrap_or(index + 1);
            let (rest, item) = strip_item(rest);
            let label = form.label(rest).unwrap_or(rest);
            return match item {
                Some(i) => format!("{heading}, row {row}: {label}, item {}", i + 1),
                None => format!("{heading}, row {row}: {label}"),
            };
        }
        if field == list {
            return heading.to_owned();
        }
    }
    let (bare, item) = strip_item(field);
    let label = form.label(bare).unwrap_or(bare);
    match item {
        Some(i) => format!("{label}, item {}", i + 1),
        None => label.to_owned(),
    }
}

/// `list[3].rest` → `(3, "rest")`.
fn indexed<'a>(field: &'a str, list: &str) -> Option<(usize, &'a str)> {
    let rest = field.strip_prefix(list)?.strip_prefix('[')?;
    let (index, rest) = rest.split_once(']')?;
    Some((index.parse().ok()?, rest.strip_prefix('.').unwrap_or(rest)))
}

/// `skills[2]` → `("skills", Some(2))`; anything else as it is.
fn strip_item(field: &str) -> (&str, Option<usize>) {
    if let Some((name, rest)) = field.split_once('[')
        && let Some(index) = rest.strip_suffix(']').and_then(|i| i.parse().ok())
    {
        return (name, Some(index));
    }
    (field, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(field: &str, problem: &str) -> Failure {
        Failure::invalid(field, problem)
    }

    #[test]
    fn rows_are_counted_as_the_page_shows_them() {
        let f = failure("entries[1].level", "unknown level");
        assert_eq!(
            said(Form::Skills, &f, &[]),
            "Skills, row 2: level: unknown level"
        );
        // The second filled row is the page's fourth.
        assert_eq!(
            said(Form::Skills, &f, &[1, 4]),
            "Skills, row 4: level: unknown level"
        );
        let f = failure("windows[0].rate.min", "must be a whole number");
        assert_eq!(
            said(Form::Capacity, &f, &[]),
            "Capacity, row 1: rate min: must be a whole number"
        );
        let f = failure("windows[2].skills[1]", "too long");
        assert_eq!(
            said(Form::Capacity, &f, &[]),
            "Capacity, row 3: skills, item 2: too long"
        );
    }

    #[test]
    fn plain_fields_take_their_labels() {
        let f = failure("contact_email", "must be an e-mail address");
        assert_eq!(
            said(Form::Profile, &f, &[]),
            "Contact e-mail: must be an e-mail address"
        );
        let f = failure("period.start", "must be a date, YYYY-MM-DD");
        assert_eq!(
            said(Form::Contract, &f, &[]),
            "Work starts: must be a date, YYYY-MM-DD"
        );
        let f = failure("required_skills[3]", "too long");
        assert_eq!(
            said(Form::Contract, &f, &[]),
            "Skills needed, item 4: too long"
        );
        let f = failure("max_rate", "must be a whole number");
        assert_eq!(
            said(Form::Search, &f, &[]),
            "Day rate at most: must be a whole number"
        );
    }

    #[test]
    fn messages_without_a_field_are_kept() {
        let f = Failure::bad_request("the upload could not be read");
        assert_eq!(
            said(Form::Contract, &f, &[]),
            "the upload could not be read"
        );
        let f = failure("entries", "at most 300");
        assert_eq!(said(Form::Skills, &f, &[]), "Skills: at most 300");
    }
}
