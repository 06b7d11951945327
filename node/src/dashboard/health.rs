//! Who is alive, from heartbeats alone (no I/O): a member is online while
//! its latest heartbeat is under two periods old, offline after, and
//! never seen without one. The period is read from the heartbeat itself
//! (its expiry is [`EXPIRY_PERIODS`](super::heartbeat::EXPIRY_PERIODS)
//! periods after its issue), so nodes with other settings are judged by
//! their own.

use coopnet_protocol::PublicKey;

use super::heartbeat::EXPIRY_PERIODS;
use crate::store::network::StatusRow;

/// Whether a member's node is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Liveness {
    /// Heard from within two periods.
    Online,
    /// Heard from before, not lately.
    Offline,
    /// Never heard from.
    NeverSeen,
}

impl Liveness {
    /// Its word in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Liveness::Online => "online",
            Liveness::Offline => "offline",
            Liveness::NeverSeen => "never-seen",
        }
    }
}

/// How a heartbeat issued and expiring at these times stands at `now`
/// (all Unix ms).
pub fn liveness(status: Option<&StatusRow>, now: u64) -> Liveness {
    let Some(s) = status else {
        return Liveness::NeverSeen;
    };
    let period = s
        .expires_at
        .map(|e| e.saturating_sub(s.issued_at) / EXPIRY_PERIODS)
        .unwrap_or(0);
    if now.saturating_sub(s.issued_at) <= 2 * period {
        Liveness::Online
    } else {
        Liveness::Offline
    }
}

/// One member as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberHealth {
    /// The co-op.
    pub coop: PublicKey,
    /// Its name.
    pub name: String,
    /// Up or not.
    pub liveness: Liveness,
    /// Its latest heartbeat, if any.
    pub status: Option<StatusRow>,
    /// Records we hold minus those it held at its heartbeat (positive:
    /// it is behind).
    pub behind: Option<i64>,
    /// When its membership lapses (Unix ms), if it does.
    pub membership_expires: Option<u64>,
}

/// The federation's health.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Health {
    /// Every member, online first, then offline, then never seen; by name.
    pub members: Vec<MemberHealth>,
    /// Members online.
    pub online: usize,
    /// Members offline.
    pub offline: usize,
    /// Members never heard from.
    pub never_seen: usize,
    /// Software versions in use, most used first, with how many nodes.
    pub versions: Vec<(String, usize)>,
    /// Records we hold.
    pub records_held: u64,
}

/// A member to judge: its key, name and membership expiry.
pub type Member = (PublicKey, String, Option<u64>);

/// The health of `members` from their heartbeats, against the `ours`
/// records we hold, at `now`.
pub fn health(members: &[Member], statuses: &[StatusRow], ours: u64, now: u64) -> Health {
    let mut out = Health {
        records_held: ours,
        ..Health::default()
    };
    let by_coop: std::collections::HashMap<&PublicKey, &StatusRow> =
        statuses.iter().map(|s| (&s.coop, s)).collect();
    for (coop, name, expires) in members {
        let status = by_coop.get(coop).map(|s| (*s).clone());
        let liveness = liveness(status.as_ref(), now);
        match liveness {
            Liveness::Online => out.online += 1,
            Liveness::Offline => out.offline += 1,
            Liveness::NeverSeen => out.never_seen += 1,
        }
        if let Some(s) = &status
            && liveness == Liveness::Online
        {
            match out.versions.iter_mut().find(|(v, _)| *v == s.software) {
                Some((_, n)) => *n += 1,
                None => out.versions.push((s.software.clone(), 1)),
            }
        }
        out.members.push(MemberHealth {
            coop: *coop,
            name: name.clone(),
            liveness,
            behind: status
                .as_ref()
                .map(|s| ours as i64 - i64::try_from(s.records).unwrap_or(i64::MAX)),
            status,
            membership_expires: *expires,
        });
    }
    out.members.sort_by(|a, b| {
        (a.liveness, a.name.to_lowercase(), a.coop).cmp(&(
            b.liveness,
            b.name.to_lowercase(),
            b.coop,
        ))
    });
    out.versions
        .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use coopnet_protocol::SecretKey;

    fn key(n: u8) -> PublicKey {
        SecretKey::from_seed(&[n; 32]).public()
    }

    fn beat(coop: PublicKey, issued_at: u64, period: u64, software: &str) -> StatusRow {
        StatusRow {
            coop,
            issued_at,
            expires_at: Some(issued_at + EXPIRY_PERIODS * period),
            software: software.into(),
            records: 90,
            peers: 3,
            last_sync: None,
            uptime: 60,
        }
    }

    #[test]
    fn a_member_is_online_for_two_periods_after_its_heartbeat() {
        let s = beat(key(1), 1_000_000, 300_000, "0.1.0");
        assert_eq!(liveness(Some(&s), 1_000_000), Liveness::Online);
        assert_eq!(
            liveness(Some(&s), 1_600_000),
            Liveness::Online,
            "one beat missed"
        );
        assert_eq!(liveness(Some(&s), 1_600_001), Liveness::Offline);
        assert_eq!(liveness(None, 0), Liveness::NeverSeen);
    }

    #[test]
    fn members_are_counted_ordered_and_their_lag_and_versions_shown() {
        let members = [
            (key(1), "Zed".to_owned(), None),
            (key(2), "alpha".to_owned(), Some(9)),
            (key(3), "Gone".to_owned(), None),
            (key(4), "Mid".to_owned(), None),
        ];
        let statuses = [
            beat(key(1), 10_000, 1_000, "0.2.0"),
            beat(key(2), 10_000, 1_000, "0.1.0"),
            beat(key(4), 1_000, 1_000, "0.1.0"),
        ];
        let h = health(&members, &statuses, 100, 11_000);
        assert_eq!((h.online, h.offline, h.never_seen), (2, 1, 1));
        let names: Vec<&str> = h.members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["alpha", "Zed", "Mid", "Gone"]);
        assert_eq!(h.members[0].behind, Some(10));
        assert_eq!(h.members[0].membership_expires, Some(9));
        assert_eq!(
            h.versions,
            [("0.1.0".to_owned(), 1), ("0.2.0".to_owned(), 1)]
        );
    }
}
