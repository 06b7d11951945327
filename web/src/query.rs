//! Search parameters as the Partners page and `GET /api/v1/coops` take them
//! from a query string, checked and turned into a [`CoopQuery`].
//!
//! Skills come as repeated `skill=` parameters and/or one comma-separated
//! `skills=` (what the page's text box sends); each is normalised through
//! the taxonomy ("js" finds co-ops offering JavaScript). Empty values, which
//! forms send for untouched fields, count as absent.

use coopnet_protocol::taxonomy::Taxonomy;
use coopnet_protocol::{Day, PublicKey};

use crate::backend::CoopQuery;
use crate::error::Failure;

/// Most skills one search may ask for.
pub const MAX_SKILLS: usize = 20;
/// Results per search unless `limit` says otherwise.
pub const DEFAULT_LIMIT: usize = 50;
/// Most results one search returns.
pub const MAX_LIMIT: usize = 200;
/// The longest free-text query.
const MAX_TEXT: usize = 200;

/// The raw parameters, as typed (for re-filling the form).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CoopParams {
    /// Skill names as typed.
    pub skills: Vec<String>,
    /// `all` (default) or `any`.
    pub mode: String,
    /// Free text.
    pub text: String,
    /// Region.
    pub region: String,
    /// First day of the window, `YYYY-MM-DD`.
    pub from: String,
    /// Last day of the window.
    pub to: String,
    /// At least this many person-days.
    pub min_days: String,
    /// At most this day rate.
    pub max_rate: String,
    /// How many results.
    pub limit: String,
    /// How many of the best to skip (the pages after the first).
    pub offset: String,
}

impl CoopParams {
    /// Reads the parameters from a raw query string.
    pub fn from_query(query: &str) -> CoopParams {
        let mut params = CoopParams::default();
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            let value = value.trim().to_owned();
            match key.as_ref() {
                "skill" if !value.is_empty() => params.skills.push(value),
                "skills" => params.skills.extend(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned),
                ),
                "match" => params.mode = value,
                "q" => params.text = value,
                "region" => params.region = value,
                "from" => params.from = value,
                "to" => params.to = value,
                "min_days" => params.min_days = value,
                "max_rate" => params.max_rate = value,
                "limit" => params.limit = value,
                "offset" => params.offset = value,
                _ => {}
            }
        }
        params
    }

    /// Whether anything was asked at all.
    pub fn is_empty(&self) -> bool {
        self.skills.is_empty()
            && self.text.is_empty()
            && self.region.is_empty()
            && self.from.is_empty()
            && self.to.is_empty()
            && self.min_days.is_empty()
            && self.max_rate.is_empty()
    }

    /// The search's parameters as a query string, without the page (for
    /// the CSV download of every result).
    pub fn csv_query(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        let pairs = [
            ("skills", self.skills_line()),
            ("match", self.mode.clone()),
            ("q", self.text.clone()),
            ("region", self.region.clone()),
            ("from", self.from.clone()),
            ("to", self.to.clone()),
            ("min_days", self.min_days.clone()),
            ("max_rate", self.max_rate.clone()),
        ];
        for (key, value) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
            query.append_pair(key, value);
        }
        query.finish()
    }

    /// The skills as one comma-separated line, for the form.
    pub fn skills_line(&self) -> String {
        self.skills.join(", ")
    }

    /// Checks the parameters; a bad one is a 422 naming it.
    pub fn to_query(&self, exclude: Option<PublicKey>) -> Result<CoopQuery, Failure> {
        if self.skills.len() > MAX_SKILLS {
            return Err(Failure::invalid(
                "skill",
                format!("at most {MAX_SKILLS} skills"),
            ));
        }
        let taxonomy = Taxonomy::esco();
        let mut skills: Vec<String> = Vec::new();
        for key in self.skills.iter().filter_map(|name| taxonomy.key(name)) {
            if !skills.contains(&key) {
                skills.push(key);
            }
        }
        let match_all = match self.mode.as_str() {
            "" | "all" => true,
            "any" => false,
            _ => return Err(Failure::invalid("match", "must be `all` or `any`")),
        };
        if self.text.chars().count() > MAX_TEXT {
            return Err(Failure::invalid(
                "q",
                format!("at most {MAX_TEXT} characters"),
            ));
        }
        let from = day(&self.from, "from")?;
        let to = day(&self.to, "to")?;
        let window = match (from, to) {
            (None, None) => None,
            (Some(from), Some(to)) if from <= to => Some((from, to)),
            (Some(_), Some(_)) => return Err(Failure::invalid("to", "must not be before `from`")),
            (Some(_), None) => return Err(Failure::invalid("to", "give both ends of the window")),
            (None, Some(_)) => {
                return Err(Failure::invalid("from", "give both ends of the window"));
            }
        };
        let paging = self.paging(DEFAULT_LIMIT)?;
        Ok(CoopQuery {
            skills,
            match_all,
            text: non_empty(&self.text),
            region: non_empty(&self.region),
            window,
            min_days: number(&self.min_days, "min_days")?,
            max_rate: number(&self.max_rate, "max_rate")?,
            exclude,
            hidden: Vec::new(),
            offset: paging.offset,
            limit: paging.limit,
        })
    }

    /// The page asked for, `default` results long unless `limit` says.
    pub fn paging(&self, default: usize) -> Result<crate::paging::Paging, Failure> {
        crate::paging::Paging::read(&self.offset, &self.limit, default)
    }
}

fn non_empty(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

fn day(text: &str, field: &str) -> Result<Option<Day>, Failure> {
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<Day>()
        .map(Some)
        .map_err(|_| Failure::invalid(field, "must be a date, YYYY-MM-DD"))
}

fn number(text: &str, field: &str) -> Result<Option<u32>, Failure> {
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<u32>()
        .map(Some)
        .map_err(|_| Failure::invalid(field, "must be a whole number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skills_come_repeated_or_comma_separated_as_their_keys() {
        let params = CoopParams::from_query("skill=js&skills=Rust,%20python&skill=");
        assert_eq!(params.skills, ["js", "Rust", "python"]);
        let query = params.to_query(None).unwrap();
        assert_eq!(query.skills.len(), 3);
        let taxonomy = Taxonomy::esco();
        assert_eq!(Some(&query.skills[0]), taxonomy.key("JavaScript").as_ref());
        assert!(
            query.skills[0].starts_with("concept:"),
            "{:?}",
            query.skills
        );
        assert!(query.match_all);
    }

    #[test]
    fn empty_form_fields_are_absent() {
        let query = CoopParams::from_query("q=&region=&from=&to=&min_days=&max_rate=&match=any")
            .to_query(None)
            .unwrap();
        assert_eq!(query.text, None);
        assert_eq!(query.window, None);
        assert!(!query.match_all);
        assert_eq!(query.limit, DEFAULT_LIMIT);
    }

    #[test]
    fn bad_values_name_their_field() {
        let cases = [
            ("from=2027-01-01&to=2026-01-01", "to"),
            ("from=yesterday&to=2026-01-01", "from"),
            ("from=2026-01-01", "to"),
            ("min_days=lots", "min_days"),
            ("max_rate=-5", "max_rate"),
            ("match=some", "match"),
            ("limit=0", "limit"),
        ];
        for (query, field) in cases {
            let failure = CoopParams::from_query(query).to_query(None).unwrap_err();
            assert_eq!(failure.field.as_deref(), Some(field), "{query}");
            assert_eq!(failure.status.as_u16(), 422);
        }
    }

    #[test]
    fn a_window_is_read() {
        let query = CoopParams::from_query("from=2027-01-01&to=2027-03-31&min_days=20")
            .to_query(None)
            .unwrap();
        let (from, to) = query.window.unwrap();
        assert_eq!(from.to_string(), "2027-01-01");
        assert_eq!(to.to_string(), "2027-03-31");
        assert_eq!(query.min_days, Some(20));
    }
}
