//! What full-text search sees of a record, and how a user's query is made
//! safe to hand to FTS5.

use coopnet_protocol::Body;

/// The searchable text of a live record, or `None` for kinds that are not
/// searched (membership, revocation, bid notices, heartbeats, unknown kinds).
pub fn searchable_text(body: &Body) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    match body {
        Body::Profile(p) => {
            parts.extend([&p.name, &p.summary, &p.description, &p.region].map(String::as_str));
            parts.extend(p.tags.iter().map(String::as_str));
        }
        Body::Skills(s) => parts.extend(s.entries.iter().map(|e| e.name.as_str())),
        Body::Capacity(c) => {
            for window in &c.windows {
                for skill in &window.skills {
                    if !parts.contains(&skill.as_str()) {
                        parts.push(skill);
                    }
                }
            }
        }
        Body::Contract(c) => {
            parts.extend([&c.title, &c.buyer, &c.description].map(String::as_str));
            parts.extend(c.required_skills.iter().map(String::as_str));
            parts.push(&c.location);
        }
        Body::ContractV1(c) => {
            parts.extend([&c.title, &c.buyer, &c.description].map(String::as_str));
            parts.extend(c.required_skills.iter().map(String::as_str));
            parts.push(&c.location);
        }
        _ => return None,
    }
    Some(parts.join("\n"))
}

/// Most terms a query may have; the rest are ignored.
const MAX_TERMS: usize = 16;

/// Turns what a user typed into an FTS5 query that matches records holding
/// every term, or `None` when nothing searchable is left.
///
/// Each whitespace-separated term becomes a quoted FTS5 string (inner `"`
/// doubled), so no input can reach FTS5's query syntax (`OR`, `NEAR`,
/// `col:`, `*`, `^`, parentheses): it is all just words. Terms without a
/// letter or digit are dropped, since the tokenizer would make them empty.
pub fn fts_query(input: &str) -> Option<String> {
    let terms = fts_terms(input);
    (!terms.is_empty()).then(|| terms.join(" "))
}

/// The terms of [`fts_query`], each alone a safe FTS5 query (a quoted
/// string), for callers that match terms separately.
pub fn fts_terms(input: &str) -> Vec<String> {
    input
        .split_whitespace()
        .filter(|term| term.chars().any(char::is_alphanumeric))
        .take(MAX_TERMS)
        .map(|term| format!("\"{}\"", term.replace('"', "\"\"")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use coopnet_protocol::{Kind, samples};

    #[test]
    fn a_query_is_quoted_term_by_term() {
        assert_eq!(
            fts_query(" rust  OR x\"y* "),
            Some("\"rust\" \"OR\" \"x\"\"y*\"".to_owned())
        );
    }

    #[test]
    fn a_query_with_nothing_searchable_is_none() {
        assert_eq!(fts_query(""), None);
        assert_eq!(fts_query("  \" * () -- "), None);
    }

    #[test]
    fn only_profiles_skills_capacity_and_contracts_have_text() {
        for (body, _) in samples::bodies(0) {
            let searched = matches!(
                body.kind(),
                Some(
                    Kind::Profile
                        | Kind::Skills
                        | Kind::Capacity
                        | Kind::Contract
                        | Kind::ContractV1
                )
            );
            assert_eq!(
                searchable_text(&body).is_some(),
                searched,
                "{:?}",
                body.kind()
            );
        }
    }

    #[test]
    fn profile_text_holds_its_description_and_tags() {
        let text = searchable_text(&Body::Profile(samples::profile(0))).unwrap();
        assert!(text.contains("charities"));
        assert!(text.contains("open source"));
    }
}
