//! A bid's statuses and the moves between them.
//!
//! ```text
//! draft ⇄ inviting → agreed → submitted → won | lost
//!   └──────┴──────────┴──────────┴──→ withdrawn
//! ```
//!
//! A change to the plan of an agreed bid takes it back to inviting: the
//! partners must agree to the new version (issue 18 signs it).

use serde::{Deserialize, Serialize};

/// Where a bid stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BidStatus {
    /// Being put together by the lead.
    Draft,
    /// Partners are being asked.
    Inviting,
    /// Every partner has agreed to this version.
    Agreed,
    /// Sent to the buyer.
    Submitted,
    /// The buyer chose it.
    Won,
    /// The buyer chose another.
    Lost,
    /// Abandoned by the lead.
    Withdrawn,
}

impl BidStatus {
    /// Every status, in the order of a bid's life.
    pub const ALL: [BidStatus; 7] = [
        BidStatus::Draft,
        BidStatus::Inviting,
        BidStatus::Agreed,
        BidStatus::Submitted,
        BidStatus::Won,
        BidStatus::Lost,
        BidStatus::Withdrawn,
    ];

    /// Its word in the API and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            BidStatus::Draft => "draft",
            BidStatus::Inviting => "inviting",
            BidStatus::Agreed => "agreed",
            BidStatus::Submitted => "submitted",
            BidStatus::Won => "won",
            BidStatus::Lost => "lost",
            BidStatus::Withdrawn => "withdrawn",
        }
    }

    /// Reads [`BidStatus::as_str`]'s word.
    pub fn parse(word: &str) -> Option<BidStatus> {
        BidStatus::ALL.into_iter().find(|s| s.as_str() == word)
    }

    /// As a sentence begins it ("Draft", "Inviting", …).
    pub fn label(self) -> &'static str {
        match self {
            BidStatus::Draft => "Draft",
            BidStatus::Inviting => "Inviting partners",
            BidStatus::Agreed => "Agreed",
            BidStatus::Submitted => "Submitted",
            BidStatus::Won => "Won",
            BidStatus::Lost => "Lost",
            BidStatus::Withdrawn => "Withdrawn",
        }
    }

    /// Whether the bid's life is over.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            BidStatus::Won | BidStatus::Lost | BidStatus::Withdrawn
        )
    }

    /// Whether its plan may still change (an agreed bid goes back to
    /// inviting when it does: [`BidStatus::after_edit`]).
    pub fn is_editable(self) -> bool {
        matches!(
            self,
            BidStatus::Draft | BidStatus::Inviting | BidStatus::Agreed
        )
    }

    /// The status after the plan changes.
    pub fn after_edit(self) -> BidStatus {
        match self {
            BidStatus::Agreed => BidStatus::Inviting,
            other => other,
        }
    }

    /// The statuses a bid may move to from this one.
    pub fn next(self) -> &'static [BidStatus] {
        use BidStatus::*;
        match self {
            Draft => &[Inviting, Withdrawn],
            Inviting => &[Draft, Agreed, Withdrawn],
            Agreed => &[Submitted, Inviting, Withdrawn],
            Submitted => &[Won, Lost, Withdrawn],
            Won | Lost | Withdrawn => &[],
        }
    }

    /// Checks a move, saying why it is refused.
    pub fn move_to(self, to: BidStatus) -> Result<BidStatus, String> {
        if self.next().contains(&to) {
            return Ok(to);
        }
        let allowed: Vec<&str> = self.next().iter().map(|s| s.as_str()).collect();
        Err(if allowed.is_empty() {
            format!("a {} bid is final and cannot change", self.as_str())
        } else {
            format!(
                "a {} bid can move to {}, not {}",
                self.as_str(),
                allowed.join(" or "),
                to.as_str()
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_read_back() {
        for status in BidStatus::ALL {
            assert_eq!(BidStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(BidStatus::parse("Draft"), None);
    }

    #[test]
    fn final_statuses_go_nowhere_and_others_can_be_withdrawn() {
        for status in BidStatus::ALL {
            assert_eq!(status.is_final(), status.next().is_empty());
            if !status.is_final() {
                assert!(status.move_to(BidStatus::Withdrawn).is_ok());
            }
        }
        let refused = BidStatus::Draft.move_to(BidStatus::Won).unwrap_err();
        assert_eq!(
            refused,
            "a draft bid can move to inviting or withdrawn, not won"
        );
        assert!(
            BidStatus::Won
                .move_to(BidStatus::Lost)
                .unwrap_err()
                .contains("final")
        );
    }

    #[test]
    fn editing_an_agreed_bid_asks_the_partners_again() {
        assert_eq!(BidStatus::Agreed.after_edit(), BidStatus::Inviting);
        assert_eq!(BidStatus::Draft.after_edit(), BidStatus::Draft);
        assert!(!BidStatus::Submitted.is_editable());
    }
}
