//! The lead's side of a negotiation on a bid's page (issue 18): invite
//! the partners, see each answer as it arrives, take a counter-offer
//! into the plan (a new version, sent to every partner), freeze the bid
//! for signing and publish its public notice. Works without JavaScript;
//! with it, `GET /bids/{id}/events` (server-sent events) says when a
//! partner's message was taken, and `app.js` reloads the page or, when
//! something was typed, says that answers arrived.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use coopnet_bids::negotiation::{Negotiation, RoleState};
use coopnet_bids::plan::{Role, SkillDays};
use tokio::sync::broadcast;

use super::ops::{self, BidView};
use super::words;
use crate::error::{Failure, PageError};
use crate::pages::form::Fields;
use crate::{AppState, Viewer};

/// The lead's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/bids/{bid_id}/invite", post(invite))
        .route("/bids/{bid_id}/take", post(take))
        .route("/bids/{bid_id}/freeze", post(freeze))
        .route("/bids/{bid_id}/notice", post(notice))
        .route("/bids/{bid_id}/events", get(events))
}

/// One partner's row.
#[derive(Debug, Clone)]
pub struct PartnerRow {
    /// The co-op's key.
    pub coop: String,
    /// Its name.
    pub name: String,
    /// Where it stands, as a word people read.
    pub state: &'static str,
    /// Why it declined, or its counter-offer's message.
    pub said: String,
    /// Its counter-offer: skills one per line, and the day rate.
    pub offer: Option<(String, String)>,
}

/// The negotiation as the bid page shows it.
#[derive(Debug, Clone, Default)]
pub struct LeadView {
    /// Whether the plan has a role for another co-op.
    pub has_partners: bool,
    /// Whether the partners were ever invited.
    pub invited: bool,
    /// The version invited.
    pub version: u64,
    /// Each partner.
    pub rows: Vec<PartnerRow>,
    /// Whether every partner accepted the version invited.
    pub ready: bool,
    /// The frozen document's hash, grouped for reading.
    pub frozen: Option<String>,
    /// Whether every partner signed it.
    pub agreed: bool,
    /// Whether a public notice follows the bid.
    pub notice: bool,
}

fn state_word(state: &RoleState) -> &'static str {
    match state {
        RoleState::Invited => "Invited, no answer yet",
        RoleState::Accepted => "Accepted",
        RoleState::Declined { .. } => "Declined",
        RoleState::Countered { .. } => "Proposed other terms",
        RoleState::Signed { .. } => "Signed",
    }
}

/// The lead's view of a bid (empty for a bid never invited).
pub async fn view(state: &AppState, view: &BidView) -> Result<LeadView, Failure> {
    let own = state.backend.own_key();
    let desk = state.backend.bids();
    let n: Negotiation = desk.negotiation(view.bid.bid_id.clone()).await?;
    let rows = n
        .roles
        .iter()
        .map(|(coop, s)| {
            let (said, offer) = match s {
                RoleState::Declined { reason } => (reason.clone(), None),
                RoleState::Countered { terms, message } => {
                    let skills = super::invitations::lines(&terms.skills);
                    let rate = words::money(terms.rate, &view.bid.currency);
                    (message.clone(), Some((skills, rate)))
                }
                _ => (String::new(), None),
            };
            PartnerRow {
                coop: coop.to_string(),
                name: view.name(coop),
                state: state_word(s),
                said,
                offer,
            }
        })
        .collect();
    Ok(LeadView {
        has_partners: view.bid.plan.roles.iter().any(|r| r.coop != own),
        invited: n.version > 0,
        version: n.version,
        rows,
        ready: n.ready_to_freeze(),
        frozen: n.frozen.map(|h| words::grouped_hex(&hex::encode(h))),
        agreed: n.agreed(),
        notice: desk.has_bid_notice(view.bid.bid_id.clone()).await?,
    })
}

/// What a lead's action did, by the code its redirect carries (a code,
/// never text from the URL, so a link cannot put words on the page).
pub fn done(code: &str) -> Option<&'static str> {
    Some(match code {
        "invited" => {
            "Invitations sent: each partner's node gets its role as soon as it can be reached."
        }
        "taken" => "The counter-offer is in the plan and every partner is asked again.",
        "frozen" => "Frozen: each partner's node shows the document to sign.",
        "published" => {
            "Published: the federation sees the contract, the partners and where the bid \
             stands, no prices."
        }
        _ => return None,
    })
}

fn back(bid_id: &str, code: &str) -> Response {
    Redirect::to(&format!("/bids/{bid_id}?done={code}")).into_response()
}

/// `POST /bids/{bid_id}/invite`: invites every partner to the current
/// version.
pub async fn invite(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(bid_id): Path<String>,
    fields: Fields,
) -> Result<Response, PageError> {
    ops::bid_exists(state.backend.as_ref(), &bid_id).await?;
    let share = fields.get("share_prices") == "on";
    state
        .backend
        .bids()
        .invite_partners(
            bid_id.clone(),
            fields.get("note"),
            share,
            viewer.user.username.clone(),
        )
        .await?;
    Ok(back(&bid_id, "invited"))
}

/// `POST /bids/{bid_id}/take`: a partner's counter-offer becomes its
/// role (a new version, sent to every partner).
pub async fn take(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(bid_id): Path<String>,
    fields: Fields,
) -> Result<Response, PageError> {
    let view = ops::bid(state.backend.as_ref(), &bid_id).await?;
    let version: u64 = fields
        .get("version")
        .parse()
        .map_err(|_| Failure::bad_request("the form lost its version; reload the page"))?;
    let desk = state.backend.bids();
    let n = desk.negotiation(bid_id.clone()).await?;
    let coop = fields.get("coop");
    let terms = n
        .roles
        .iter()
        .find_map(|(k, s)| match s {
            RoleState::Countered { terms, .. } if k.to_string() == coop => Some(terms.clone()),
            _ => None,
        })
        .ok_or_else(|| {
            Failure::new(
                StatusCode::CONFLICT,
                "that partner has no counter-offer standing now: reload the page",
            )
        })?;
    let mut plan = view.bid.plan.clone();
    let taken = Role {
        coop: coop
            .parse()
            .map_err(|_| Failure::bad_request("not a co-op's key"))?,
        skills: terms.skills.into_iter().map(SkillDays::from).collect(),
        rate: terms.rate,
    };
    match plan.roles.iter_mut().find(|r| r.coop == taken.coop) {
        Some(role) => *role = taken,
        None => plan.roles.push(taken),
    }
    let bid = desk
        .update_bid(bid_id, version, plan, viewer.user.username.clone())
        .await?;
    Ok(back(&bid.bid_id, "taken"))
}

/// `POST /bids/{bid_id}/freeze`: the document every partner signs.
pub async fn freeze(
    State(state): State<AppState>,
    Path(bid_id): Path<String>,
    fields: Fields,
) -> Result<Response, PageError> {
    ops::bid_exists(state.backend.as_ref(), &bid_id).await?;
    state
        .backend
        .bids()
        .freeze_bid(bid_id.clone(), fields.get("terms"))
        .await?;
    Ok(back(&bid_id, "frozen"))
}

/// `POST /bids/{bid_id}/notice`: publishes the bid's public notice.
pub async fn notice(
    State(state): State<AppState>,
    Path(bid_id): Path<String>,
) -> Result<Response, PageError> {
    ops::bid_exists(state.backend.as_ref(), &bid_id).await?;
    state
        .backend
        .bids()
        .publish_bid_notice(bid_id.clone())
        .await?;
    Ok(back(&bid_id, "published"))
}

/// Most event streams open at once; more are answered 503 (the page
/// still works: its reload link).
const MAX_STREAMS: usize = 64;
/// How long one stream lasts before the browser reconnects.
const STREAM_LIFE: Duration = Duration::from_secs(600);

static STREAMS: AtomicUsize = AtomicUsize::new(0);

/// An open stream, counted until dropped.
struct Counted;

impl Counted {
    fn open() -> Option<Counted> {
        let before = STREAMS.fetch_add(1, Ordering::SeqCst);
        if before >= MAX_STREAMS {
            STREAMS.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(Counted)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        STREAMS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// `GET /bids/{bid_id}/events`: an event `changed` each time a partner's
/// message about the bid is taken.
pub async fn events(
    State(state): State<AppState>,
    Path(bid_id): Path<String>,
) -> Result<Response, PageError> {
    let view = ops::bid(state.backend.as_ref(), &bid_id).await?;
    let wire = view.bid.wire_id();
    let (Some(changes), Some(wire)) = (state.backend.bids().bid_changes(), wire) else {
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    let Some(counted) = Counted::open() else {
        return Ok(StatusCode::SERVICE_UNAVAILABLE.into_response());
    };
    let until = tokio::time::Instant::now() + STREAM_LIFE;
    let stream = futures_util::stream::unfold(
        (changes, counted),
        move |(mut changes, counted)| async move {
            loop {
                let next = tokio::time::timeout_at(until, changes.recv()).await;
                match next {
                    Ok(Ok(bid)) if bid != wire => continue,
                    Ok(Ok(_) | Err(broadcast::error::RecvError::Lagged(_))) => {
                        let event = Event::default().event("changed").data("answers arrived");
                        return Some((
                            Ok::<_, std::convert::Infallible>(event),
                            (changes, counted),
                        ));
                    }
                    Ok(Err(broadcast::error::RecvError::Closed)) | Err(_) => return None,
                }
            }
        },
    );
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}
