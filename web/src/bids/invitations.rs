//! The Invitations page: bids other co-ops invited us to, answered with
//! accept, decline (with a reason) or a counter-offer, and the agreement
//! to sign once the lead froze it. Works without JavaScript.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use coopnet_protocol::bidwire::{Answer, Outcome, Terms};
use serde::Deserialize;

use super::forms::read_lines;
use super::words;
use crate::error::{Failure, PageError, render};
use crate::pages::Frame;
use crate::pages::form::Fields;
use crate::{AppState, Viewer};

/// The invitation routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/invitations", get(list))
        .route("/invitations/{bid}/answer", post(answer))
        .route("/invitations/{bid}/sign", post(sign))
}

/// One invitation as the page shows it.
struct Shown {
    bid: String,
    title: String,
    lead_name: String,
    version: u64,
    skills: String,
    rate: u32,
    currency: String,
    others: String,
    note: String,
    answer: &'static str,
    document: Option<String>,
    /// The frozen document's roles, one per line, and its terms.
    document_roles: String,
    terms: String,
    signed: bool,
    outcome: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "bids/invitations.html")]
struct InvitationsPage {
    frame: Frame,
    invitations: Vec<Shown>,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    sent: String,
}

/// Skills as `skill: days` lines, as the forms write them.
pub(super) fn lines(skills: &[coopnet_protocol::bidwire::SkillDays]) -> String {
    skills
        .iter()
        .map(|s| format!("{}: {}", s.skill, s.days))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `GET /invitations`.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ListQuery>,
) -> Result<Html<String>, PageError> {
    let desk = state.backend.bids();
    let to_sign = desk.documents_to_sign().await?;
    let mut invitations = Vec::new();
    for i in desk.invitations().await? {
        // A partner a revision took out has nothing left to sign.
        let document = to_sign
            .iter()
            .find(|t| t.bid == i.bid)
            .filter(|_| i.outcome != Some(Outcome::Removed));
        let others = i
            .invite
            .others
            .iter()
            .map(|o| {
                let rate = o
                    .rate
                    .map(|r| format!(" at {}", words::money(r, &i.invite.currency)))
                    .unwrap_or_default();
                format!(
                    "{} ({}){rate}",
                    o.name,
                    lines(&o.skills).replace('\n', ", ")
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        invitations.push(Shown {
            bid: hex::encode(i.bid),
            title: i.invite.title.clone(),
            lead_name: i.invite.lead_name.clone(),
            version: i.version,
            skills: lines(&i.invite.role.skills),
            rate: i.invite.role.rate,
            currency: i.invite.currency.clone(),
            others,
            note: i.invite.note.clone(),
            answer: match &i.answer {
                None => "not answered yet",
                Some(Answer::Accept) => "accepted",
                Some(Answer::Decline { .. }) => "declined",
                Some(Answer::Counter { .. }) => "other terms proposed",
            },
            document: document.map(|t| {
                format!(
                    "Version {}: {} person-days, {} in all, hash {}",
                    t.document.version,
                    words::count(t.document.total_days),
                    words::money(t.document.total_cost, &t.document.currency),
                    &hex::encode(t.document.hash())[..16]
                )
            }),
            document_roles: document
                .map(|t| {
                    t.document
                        .roles
                        .iter()
                        .map(|r| {
                            format!(
                                "{}: {} at {} a day",
                                r.name,
                                lines(&r.skills).replace('\n', ", "),
                                words::money(r.rate, &t.document.currency)
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default(),
            terms: document
                .map(|t| t.document.terms.clone())
                .unwrap_or_default(),
            signed: document.is_some_and(|t| t.signed),
            outcome: i.outcome.map(|o| match o {
                Outcome::Submitted => "Submitted to the buyer",
                Outcome::Won => "Won",
                Outcome::Lost => "Lost",
                Outcome::Withdrawn => "Withdrawn by the lead",
                Outcome::Removed => "The lead revised the bid without our co-op: nothing to answer",
            }),
        });
    }
    let mut frame = Frame::new(&state, &viewer, "invitations").await;
    frame.notice = match query.sent.as_str() {
        "answer" => Some("Answer sent to the lead's node.".into()),
        "signature" => Some("Signature sent to the lead's node.".into()),
        _ => None,
    };
    render(&InvitationsPage {
        frame,
        invitations,
        error: None,
    })
}

/// `POST /invitations/{bid}/answer`.
pub async fn answer(
    State(state): State<AppState>,
    Path(bid): Path<String>,
    fields: Fields,
) -> Result<Response, PageError> {
    let id = super::ops::invitation_id(&bid)?;
    let answer = match fields.get("decision").as_str() {
        "accept" => Answer::Accept,
        "decline" => Answer::Decline {
            reason: coopnet_protocol::kinds::fields::normalise_line_breaks(&fields.get("reason")),
        },
        "counter" => {
            let skills = read_lines(&fields.get("skills"), 1)?
                .iter()
                .map(coopnet_protocol::bidwire::SkillDays::from)
                .collect();
            let rate = fields
                .get("rate")
                .replace([',', '£', '€', '$'], "")
                .parse()
                .map_err(|_| Failure::invalid("Day rate", "must be a whole number"))?;
            Answer::Counter {
                terms: Terms { skills, rate },
                message: coopnet_protocol::kinds::fields::normalise_line_breaks(
                    &fields.get("message"),
                ),
            }
        }
        _ => {
            return Err(
                Failure::invalid("decision", "choose accept, decline or other terms").into(),
            );
        }
    };
    state.backend.bids().answer_invitation(id, answer).await?;
    Ok(Redirect::to("/invitations?sent=answer").into_response())
}

/// `POST /invitations/{bid}/sign`.
pub async fn sign(
    State(state): State<AppState>,
    Path(bid): Path<String>,
) -> Result<Response, PageError> {
    let id = super::ops::invitation_id(&bid)?;
    state.backend.bids().sign_bid_document(id).await?;
    Ok(Redirect::to("/invitations?sent=signature").into_response())
}
