//! HTML character references that publishers' systems leave in OCDS text
//! (`Repairs &amp; Maintenance`, `&#8217;`): decoded, so people read what
//! the buyer wrote. Only references a browser would decode are: numeric
//! ones (decimal or hex, any Unicode scalar value but NUL), and the named
//! ones that turn up in procurement text. Anything else is left as it is.

use std::borrow::Cow;

/// Named references decoded, and what they stand for.
const NAMED: &[(&str, char)] = &[
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("nbsp", '\u{a0}'),
    ("pound", '£'),
    ("euro", '€'),
    ("ndash", '–'),
    ("mdash", '—'),
    ("lsquo", '‘'),
    ("rsquo", '’'),
    ("ldquo", '“'),
    ("rdquo", '”'),
    ("hellip", '…'),
    ("bull", '•'),
    ("copy", '©'),
    ("reg", '®'),
    ("trade", '™'),
    ("eacute", 'é'),
];

/// Longest reference name (or number) looked at after `&`.
const MAX_NAME: usize = 10;

/// `text` with its character references decoded; borrowed when it has
/// none.
pub fn decode(text: &str) -> Cow<'_, str> {
    if !text.contains('&') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        match reference(after) {
            Some((c, len)) => {
                out.push(c);
                rest = &after[len..];
                changed = true;
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    }
}

/// The character a reference at the start of `after` (the text after an
/// `&`) stands for, and how many bytes it takes with its `;`.
fn reference(after: &str) -> Option<(char, usize)> {
    let end = after
        .char_indices()
        .take(MAX_NAME + 2)
        .find(|(_, c)| *c == ';')?
        .0;
    let name = &after[..end];
    let c = match name.strip_prefix('#') {
        Some(number) => {
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code).filter(|c| *c != '\0')?
        }
        None => NAMED.iter().find(|(n, _)| *n == name)?.1,
    };
    Some((c, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_decoded_and_everything_else_kept() {
        assert_eq!(decode("Repairs &amp; Maintenance"), "Repairs & Maintenance");
        assert_eq!(
            decode("Children&#8217;s services &#x2013; 2027"),
            "Children’s services – 2027"
        );
        assert_eq!(decode("&pound;10k &lt;5 lots&gt;"), "£10k <5 lots>");
        assert!(matches!(decode("Smith & Jones"), Cow::Borrowed(_)));
        assert_eq!(
            decode("Fish &chips; &unknown; &#0; &#xD800; &"),
            "Fish &chips; &unknown; &#0; &#xD800; &"
        );
        assert_eq!(decode("&amp;amp;"), "&amp;", "decoded once");
    }
}
