//! The bid pipeline from public bid notices (no I/O): per month (of each
//! notice's last change), how many bids were forming, submitted, won,
//! lost or withdrawn, and the win rate of those decided.

use crate::store::network::NoticeRow;

/// One month of the pipeline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Month {
    /// `YYYY-MM`.
    pub month: String,
    /// Bids still gathering partners.
    pub forming: u64,
    /// Sent to the buyer.
    pub submitted: u64,
    /// Won.
    pub won: u64,
    /// Lost.
    pub lost: u64,
    /// Withdrawn.
    pub withdrawn: u64,
}

/// The pipeline.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pipeline {
    /// Months with notices, oldest first.
    pub months: Vec<Month>,
    /// Won over won and lost, if any were decided.
    pub win_rate: Option<f64>,
    /// Every notice's bid, by status, over all months.
    pub totals: Month,
}

/// `YYYY-MM` of a Unix-ms instant (UTC).
pub fn month_of(ms: u64) -> String {
    let days = i32::try_from(ms / 86_400_000).unwrap_or(i32::MAX);
    coopnet_protocol::Day::from_days(days)
        .map(|d| d.to_string()[..7].to_owned())
        .unwrap_or_else(|| "9999-12".to_owned())
}

/// The pipeline of `notices`.
pub fn pipeline(notices: &[NoticeRow]) -> Pipeline {
    let mut out = Pipeline::default();
    for n in notices {
        let month = month_of(n.issued_at);
        let at = match out.months.iter().position(|m| m.month == month) {
            Some(i) => i,
            None => {
                out.months.push(Month {
                    month,
                    ..Month::default()
                });
                out.months.len() - 1
            }
        };
        for m in [&mut out.months[at], &mut out.totals] {
            match n.status.as_str() {
                "forming" => m.forming += 1,
                "submitted" => m.submitted += 1,
                "won" => m.won += 1,
                "lost" => m.lost += 1,
                _ => m.withdrawn += 1,
            }
        }
    }
    out.months.sort_by(|a, b| a.month.cmp(&b.month));
    let decided = out.totals.won + out.totals.lost;
    out.win_rate = (decided > 0).then(|| out.totals.won as f64 / decided as f64);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use coopnet_protocol::SecretKey;

    fn notice(status: &str, issued_at: u64) -> NoticeRow {
        NoticeRow {
            lead: SecretKey::from_seed(&[1; 32]).public(),
            status: status.into(),
            issued_at,
            partners: 2,
        }
    }

    #[test]
    fn notices_are_counted_per_month_and_the_win_rate_is_of_decided_bids() {
        // 2025-11-15 and 2025-12-07, in Unix ms.
        let (nov, dec) = (1_763_164_800_000, 1_765_065_600_000);
        let p = pipeline(&[
            notice("won", dec),
            notice("lost", nov),
            notice("won", nov),
            notice("forming", dec),
            notice("submitted", dec),
        ]);
        let months: Vec<&str> = p.months.iter().map(|m| m.month.as_str()).collect();
        assert_eq!(months, ["2025-11", "2025-12"]);
        assert_eq!(
            (p.months[1].won, p.months[1].forming, p.months[1].submitted),
            (1, 1, 1)
        );
        assert_eq!(p.win_rate, Some(2.0 / 3.0));
        assert_eq!(pipeline(&[notice("forming", nov)]).win_rate, None);
    }
}
