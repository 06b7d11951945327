//! `Profile`: who a co-op is, where, and how to reach it.

use serde::{Deserialize, Serialize};

use super::fields::{self, Checked, Problem, fail};
use super::validated;

/// The plain fields of a [`Profile`], as written by a co-op.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfileFields {
    /// The co-op's name, 1–120 characters.
    pub name: String,
    /// One line on what the co-op does, up to 280 characters.
    pub summary: String,
    /// A longer description, up to 8,000 characters; line breaks allowed.
    pub description: String,
    /// The co-op's web site (http or https).
    pub website: Option<String>,
    /// Region or city, up to 100 characters (may be empty).
    pub region: String,
    /// ISO 3166-1 alpha-2 country code, such as `GB`.
    pub country: String,
    /// Location on a map, if the co-op wants one shown.
    pub coordinates: Option<Coordinates>,
    /// Legal form, such as "Worker co-operative (CIO)", up to 100 characters.
    pub legal_form: String,
    /// Number of worker-members, 1–100,000.
    pub member_count: u32,
    /// Where partners write to.
    pub contact_email: String,
    /// Languages the co-op works in (BCP 47 tags such as `en`, `cy`); at most 20.
    pub languages: Vec<String>,
    /// Free tags (sectors, values, technologies); at most 30 of 1–50 characters.
    pub tags: Vec<String>,
}

/// A point on the map in millionths of a degree (WGS 84).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Coordinates {
    /// Latitude, −90,000,000 to 90,000,000.
    pub latitude_e6: i32,
    /// Longitude, −180,000,000 to 180,000,000.
    pub longitude_e6: i32,
}

impl ProfileFields {
    pub(crate) fn check(&self) -> Checked {
        fields::name("name", &self.name, 1, 120)?;
        fields::line("summary", &self.summary, 0, 280)?;
        fields::prose("description", &self.description, 8_000)?;
        if let Some(website) = &self.website {
            fields::url("website", website)?;
        }
        fields::line("region", &self.region, 0, 100)?;
        fields::country("country", &self.country)?;
        if let Some(c) = self.coordinates {
            c.check()?;
        }
        fields::line("legal_form", &self.legal_form, 0, 100)?;
        fields::within("member_count", self.member_count.into(), 1, 100_000)?;
        fields::email("contact_email", &self.contact_email)?;
        fields::count("languages", &self.languages, 20)?;
        for (i, tag) in self.languages.iter().enumerate() {
            fields::language(&format!("languages[{i}]"), tag)?;
        }
        fields::labels("tags", &self.tags, 30, 50)
    }
}

impl Coordinates {
    fn check(self) -> Checked {
        let out = |field: &str, max: u64| fail(field, Problem::OutOfRange { min: 0, max });
        if self.latitude_e6.unsigned_abs() > 90_000_000 {
            return Err(out("coordinates.latitude_e6 (absolute value)", 90_000_000));
        }
        if self.longitude_e6.unsigned_abs() > 180_000_000 {
            return Err(out(
                "coordinates.longitude_e6 (absolute value)",
                180_000_000,
            ));
        }
        Ok(())
    }
}

validated! {
    /// A co-op's public profile: one per co-op, key empty.
    Profile(ProfileFields)
}
