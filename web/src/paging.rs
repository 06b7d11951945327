//! Long lists in pages: which slice to show (`offset`, `limit`, checked as
//! any other field), and the line under a list that says which part is
//! shown with links to the pages before and after it (keeping every other
//! parameter of the request).

use crate::error::Failure;

/// The most items one page may ask for.
pub const MAX_LIMIT: usize = 200;
/// The furthest a page may start.
pub const MAX_OFFSET: usize = 1_000_000;

/// Which slice of a list to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// Items skipped.
    pub offset: usize,
    /// Items shown at most.
    pub limit: usize,
}

impl Paging {
    /// Reads `offset` and `limit` as typed (empty: 0 and `default`); a bad
    /// one is a 422 naming it.
    pub fn read(offset: &str, limit: &str, default: usize) -> Result<Paging, Failure> {
        let number =
            |text: &str, field: &str, fallback: usize, range: std::ops::RangeInclusive<usize>| {
                let value = match text.trim() {
                    "" => fallback,
                    text => text
                        .parse()
                        .map_err(|_| Failure::invalid(field, "must be a whole number"))?,
                };
                if !range.contains(&value) {
                    let (min, max) = (range.start(), range.end());
                    return Err(Failure::invalid(field, format!("must be {min} to {max}")));
                }
                Ok(value)
            };
        Ok(Paging {
            offset: number(offset, "offset", 0, 0..=MAX_OFFSET)?,
            limit: number(limit, "limit", default, 1..=MAX_LIMIT)?,
        })
    }

    /// This page of `items`, and how many there were.
    pub fn slice<T>(&self, items: Vec<T>) -> (Vec<T>, usize) {
        let total = items.len();
        let page = items
            .into_iter()
            .skip(self.offset)
            .take(self.limit)
            .collect();
        (page, total)
    }
}

/// The line under a list: "26–50 of 81", and links to the neighbouring
/// pages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pager {
    /// The first item shown, counting from 1 (0 when none is).
    pub first: usize,
    /// The last item shown.
    pub last: usize,
    /// How many there are in all.
    pub total: usize,
    /// The page before, if any.
    pub previous: Option<String>,
    /// The page after, if any.
    pub next: Option<String>,
}

impl Pager {
    /// The pager of a list at `path` whose request had `raw_query`.
    pub fn new(path: &str, raw_query: &str, paging: Paging, shown: usize, total: usize) -> Pager {
        let link = |offset: usize| {
            let mut query = form_urlencoded::Serializer::new(String::new());
            for (key, value) in form_urlencoded::parse(raw_query.as_bytes()) {
                if key != "offset" {
                    query.append_pair(&key, &value);
                }
            }
            if offset > 0 {
                query.append_pair("offset", &offset.to_string());
            }
            format!("{path}?{}", query.finish())
        };
        let (offset, limit) = (paging.offset, paging.limit);
        Pager {
            first: if shown == 0 { 0 } else { offset + 1 },
            last: offset + shown,
            total,
            previous: (offset > 0).then(|| link(offset.saturating_sub(limit))),
            next: (offset + shown < total).then(|| link(offset + limit)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_a_slice_and_says_how_many_in_all() {
        let paging = Paging::read("25", "25", 50).expect("valid");
        let (page, total) = paging.slice((0..81).collect::<Vec<_>>());
        assert_eq!(
            (page.first(), page.last(), total),
            (Some(&25), Some(&49), 81)
        );
    }

    #[test]
    fn bad_offsets_and_limits_name_their_field() {
        for (offset, limit, field) in [
            ("x", "", "offset"),
            ("", "0", "limit"),
            ("", "500", "limit"),
            ("-1", "", "offset"),
        ] {
            let failure = Paging::read(offset, limit, 50).expect_err("refused");
            assert_eq!(failure.field.as_deref(), Some(field), "{offset} {limit}");
        }
    }

    #[test]
    fn the_pager_links_keep_the_other_parameters() {
        let paging = Paging::read("25", "25", 25).expect("valid");
        let pager = Pager::new(
            "/contracts",
            "status=all&offset=25&q=road+works",
            paging,
            25,
            81,
        );
        assert_eq!((pager.first, pager.last, pager.total), (26, 50, 81));
        assert_eq!(
            pager.previous.as_deref(),
            Some("/contracts?status=all&q=road+works")
        );
        assert_eq!(
            pager.next.as_deref(),
            Some("/contracts?status=all&q=road+works&offset=50")
        );
        let last = Pager::new(
            "/contracts",
            "",
            Paging::read("75", "25", 25).expect("valid"),
            6,
            81,
        );
        assert_eq!(last.next, None);
        assert_eq!((last.first, last.last), (76, 81));
    }
}
