//! The negotiation as JSON (issue 18): inviting a bid's partners, where
//! each stands, freezing, the signed agreement, and on a partner's node
//! its invitations, answers and signatures.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use coopnet_bids::negotiation::RoleState;
use coopnet_protocol::bidwire::{Answer, ExportedDocument, Outcome, SkillDays, Terms};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::api::bid_json;
use super::json::{BidJson, SkillDaysJson};
use super::ops;
use crate::error::{ApiError, ErrorBody, Failure};
use crate::{AppState, Viewer};

/// The negotiation routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/bids/{bid_id}/invite", post(invite))
        .route("/bids/{bid_id}/negotiation", get(negotiation))
        .route("/bids/{bid_id}/freeze", post(freeze))
        .route("/bids/{bid_id}/agreement", get(agreement))
        .route("/bids/{bid_id}/notice", post(notice))
        .route("/invitations", get(invitations))
        .route("/invitations/{bid}/answer", post(answer))
        .route("/invitations/{bid}/sign", post(sign))
}

/// Inviting the partners.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct InviteBody {
    /// A note to every partner (several lines).
    #[serde(default)]
    pub note: String,
    /// Whether partners see each other's day rates (default no).
    #[serde(default)]
    pub share_prices: bool,
}

/// One partner's state at the version invited.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerJson {
    /// The co-op.
    pub coop_key: String,
    /// Its name.
    pub name: String,
    /// `invited`, `accepted`, `declined`, `countered` or `signed`.
    pub state: String,
    /// Why it declined.
    pub reason: Option<String>,
    /// What it proposes instead (a counter-offer).
    pub skills: Option<Vec<SkillDaysJson>>,
    /// Its counter-offer's day rate.
    pub day_rate: Option<u32>,
    /// Its counter-offer's message.
    pub message: Option<String>,
}

/// Where a bid's negotiation stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct NegotiationJson {
    /// The version the partners were invited to.
    pub version: u64,
    /// Whether every partner accepted it (it may be frozen).
    pub ready_to_freeze: bool,
    /// The frozen document's hash (64 hex), once frozen.
    pub frozen: Option<String>,
    /// Whether every partner signed it.
    pub agreed: bool,
    /// Each partner.
    pub partners: Vec<PartnerJson>,
}

/// Freezing.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct FreezeBody {
    /// The terms every partner agrees to by signing (several lines).
    #[serde(default)]
    pub terms: String,
}

/// A frozen document.
#[derive(Debug, Serialize, ToSchema)]
pub struct FrozenJson {
    /// Its hash, 64 hex: what each partner signs.
    pub document_hash: String,
    /// The bid version it freezes.
    pub version: u64,
    /// Person-days.
    pub total_days: u64,
    /// Cost, whole units.
    pub total_cost: u64,
}

/// A signature in an exported agreement.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementSignature {
    /// The co-op (64 hex).
    pub coop: String,
    /// Its signature of the document's hash (128 hex).
    pub signature: String,
}

/// The signed agreement, as `coopnet bid verify FILE` reads it (SPEC
/// §11.4).
#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementJson {
    /// The document's canonical bytes, hex.
    pub document_hex: String,
    /// Every valid signature held.
    pub signatures: Vec<AgreementSignature>,
}

/// A role as an invitation states it.
#[derive(Debug, Serialize, ToSchema)]
pub struct OtherJson {
    /// The co-op.
    pub coop_key: String,
    /// Its name.
    pub name: String,
    /// Its skills and days.
    pub skills: Vec<SkillDaysJson>,
    /// Its day rate, when the lead shares prices.
    pub day_rate: Option<u32>,
}

/// An invitation to a bid.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationJson {
    /// The bid, 32 hex.
    pub bid: String,
    /// The lead co-op.
    pub lead_key: String,
    /// Its name.
    pub lead_name: String,
    /// The bid's title.
    pub title: String,
    /// The contract.
    pub contract_id: String,
    /// The currency.
    pub currency: String,
    /// The version invited to.
    pub version: u64,
    /// Our role: skills and days.
    pub skills: Vec<SkillDaysJson>,
    /// Our role's day rate.
    pub day_rate: u32,
    /// The other roles.
    pub others: Vec<OtherJson>,
    /// The lead's note.
    pub note: String,
    /// Our answer to this version: `accept`, `decline` or `counter`.
    pub answer: Option<String>,
    /// The hash of a document frozen for us to sign, if any.
    pub document_hash: Option<String>,
    /// Whether we signed it.
    pub signed: bool,
    /// What the lead last said became of the bid: `submitted`, `won`,
    /// `lost`, `withdrawn`, or `removed` (a revision took our co-op out;
    /// nothing to answer unless a later invitation brings it back).
    pub outcome: Option<String>,
}

/// Our invitations.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationsJson {
    /// Latest first is not guaranteed; one per bid.
    pub invitations: Vec<InvitationJson>,
}

/// An answer to an invitation.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AnswerBody {
    /// `accept`, `decline` or `counter`.
    pub decision: String,
    /// Why, when declining.
    #[serde(default)]
    pub reason: String,
    /// Other skills and days, when countering.
    #[serde(default)]
    pub skills: Vec<SkillDaysJson>,
    /// Another day rate, when countering.
    #[serde(default)]
    pub day_rate: Option<i64>,
    /// A message, when countering.
    #[serde(default)]
    pub message: String,
}

/// What was queued for the lead.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueuedJson {
    /// The bid.
    pub bid: String,
    /// What was sent: `answer` or `signature`.
    pub sent: String,
}

fn skills_json(skills: &[SkillDays]) -> Vec<SkillDaysJson> {
    skills
        .iter()
        .map(|s| SkillDaysJson {
            skill: s.skill.clone(),
            days: s.days.into(),
        })
        .collect()
}

/// Invites every partner of the bid to its current roles (the bid moves
/// to inviting); messages wait in the node's outbox until delivered.
#[utoipa::path(post, path = "/api/v1/bids/{bid_id}/invite", tag = "bids",
    params(("bid_id" = String, Path, description = "The bid's id")), request_body = InviteBody,
    responses((status = 200, body = BidJson, description = "The bid, now inviting"),
        (status = 404, body = ErrorBody, description = "No such bid"),
        (status = 422, body = ErrorBody, description = "The bid has no partner, or its status allows no invitation")))]
pub async fn invite(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(bid_id): Path<String>,
    Json(body): Json<InviteBody>,
) -> Result<Json<BidJson>, ApiError> {
    ops::bid_exists(state.backend.as_ref(), &bid_id).await?;
    let bid = state
        .backend
        .bids()
        .invite_partners(
            bid_id,
            body.note,
            body.share_prices,
            viewer.user.username.clone(),
        )
        .await?;
    let view = ops::view(state.backend.as_ref(), bid).await?;
    Ok(Json(bid_json(&view)))
}

/// Where each partner stands at the version invited (the bid became
/// agreed when the last partner's signature was taken).
#[utoipa::path(get, path = "/api/v1/bids/{bid_id}/negotiation", tag = "bids",
    params(("bid_id" = String, Path, description = "The bid's id")),
    responses((status = 200, body = NegotiationJson, description = "Each partner's state"),
        (status = 404, body = ErrorBody, description = "No such bid")))]
pub async fn negotiation(
    State(state): State<AppState>,
    Path(bid_id): Path<String>,
) -> Result<Json<NegotiationJson>, ApiError> {
    let view = ops::bid(state.backend.as_ref(), &bid_id).await?;
    let n = state.backend.bids().negotiation(bid_id).await?;
    let partners = n
        .roles
        .iter()
        .map(|(coop, s)| {
            let (state, reason, terms, message): (&str, _, Option<&Terms>, _) = match s {
                RoleState::Invited => ("invited", None, None, None),
                RoleState::Accepted => ("accepted", None, None, None),
                RoleState::Declined { reason } => ("declined", Some(reason.clone()), None, None),
                RoleState::Countered { terms, message } => {
                    ("countered", None, Some(terms), Some(message.clone()))
                }
                RoleState::Signed { .. } => ("signed", None, None, None),
            };
            PartnerJson {
                coop_key: coop.to_string(),
                name: view.name(coop),
                state: state.to_owned(),
                reason,
                skills: terms.map(|t| skills_json(&t.skills)),
                day_rate: terms.map(|t| t.rate),
                message,
            }
        })
        .collect();
    Ok(Json(NegotiationJson {
        version: n.version,
        ready_to_freeze: n.ready_to_freeze(),
        frozen: n.frozen.map(hex::encode),
        agreed: n.agreed(),
        partners,
    }))
}

/// Freezes the bid once every partner accepted its current version: the
/// document goes to every partner to sign.
#[utoipa::path(post, path = "/api/v1/bids/{bid_id}/freeze", tag = "bids",
    params(("bid_id" = String, Path, description = "The bid's id")), request_body = FreezeBody,
    responses((status = 200, body = FrozenJson, description = "The frozen document"),
        (status = 404, body = ErrorBody, description = "No such bid"),
        (status = 422, body = ErrorBody, description = "Not every partner accepted the current version")))]
pub async fn freeze(
    State(state): State<AppState>,
    Path(bid_id): Path<String>,
    Json(body): Json<FreezeBody>,
) -> Result<Json<FrozenJson>, ApiError> {
    ops::bid_exists(state.backend.as_ref(), &bid_id).await?;
    let d = state.backend.bids().freeze_bid(bid_id, body.terms).await?;
    Ok(Json(FrozenJson {
        document_hash: hex::encode(d.hash()),
        version: d.version,
        total_days: d.total_days,
        total_cost: d.total_cost,
    }))
}

/// The frozen document and every valid signature held, for `coopnet bid
/// verify FILE`.
#[utoipa::path(get, path = "/api/v1/bids/{bid_id}/agreement", tag = "bids",
    params(("bid_id" = String, Path, description = "The bid's id")),
    responses((status = 200, body = AgreementJson, description = "The document and its signatures"),
        (status = 404, body = ErrorBody, description = "No such bid"),
        (status = 422, body = ErrorBody, description = "Not frozen yet")))]
pub async fn agreement(
    State(state): State<AppState>,
    Path(bid_id): Path<String>,
) -> Result<Json<AgreementJson>, ApiError> {
    ops::bid_exists(state.backend.as_ref(), &bid_id).await?;
    let export: ExportedDocument = state.backend.bids().export_agreement(bid_id).await?;
    Ok(Json(AgreementJson {
        document_hex: export.document_hex,
        signatures: export
            .signatures
            .into_iter()
            .map(|s| AgreementSignature {
                coop: s.coop.to_string(),
                signature: s.signature,
            })
            .collect(),
    }))
}

/// The bids other co-ops invited us to, each at its latest version.
#[utoipa::path(get, path = "/api/v1/invitations", tag = "bids",
    responses((status = 200, body = InvitationsJson, description = "Our invitations")))]
pub async fn invitations(State(state): State<AppState>) -> Result<Json<InvitationsJson>, ApiError> {
    let desk = state.backend.bids();
    let to_sign = desk.documents_to_sign().await?;
    let mut out = Vec::new();
    for i in desk.invitations().await? {
        let document = to_sign.iter().find(|t| t.bid == i.bid);
        out.push(InvitationJson {
            bid: hex::encode(i.bid),
            lead_key: i.lead.to_string(),
            lead_name: i.invite.lead_name.clone(),
            title: i.invite.title.clone(),
            contract_id: crate::ops::contract_id(&i.invite.contract_author, &i.invite.contract_key),
            currency: i.invite.currency.clone(),
            version: i.version,
            skills: skills_json(&i.invite.role.skills),
            day_rate: i.invite.role.rate,
            others: i
                .invite
                .others
                .iter()
                .map(|o| OtherJson {
                    coop_key: o.coop.to_string(),
                    name: o.name.clone(),
                    skills: skills_json(&o.skills),
                    day_rate: o.rate,
                })
                .collect(),
            note: i.invite.note.clone(),
            answer: i.answer.as_ref().map(|a| {
                match a {
                    Answer::Accept => "accept",
                    Answer::Decline { .. } => "decline",
                    Answer::Counter { .. } => "counter",
                }
                .to_owned()
            }),
            document_hash: document.map(|t| hex::encode(t.document.hash())),
            signed: document.is_some_and(|t| t.signed),
            outcome: i.outcome.map(|o| outcome_word(o).to_owned()),
        });
    }
    Ok(Json(InvitationsJson { invitations: out }))
}

/// Answers the latest invitation to a bid: accept, decline (with a
/// reason) or counter (other days and rate, and a message). The answer
/// waits in the outbox until the lead's node takes it.
#[utoipa::path(post, path = "/api/v1/invitations/{bid}/answer", tag = "bids",
    params(("bid" = String, Path, description = "The bid, 32 hex")), request_body = AnswerBody,
    responses((status = 202, body = QueuedJson, description = "Queued for the lead"),
        (status = 404, body = ErrorBody, description = "No such invitation"),
        (status = 422, body = ErrorBody, description = "A value breaks its field's rule (the field is named)")))]
pub async fn answer(
    State(state): State<AppState>,
    Path(bid): Path<String>,
    Json(body): Json<AnswerBody>,
) -> Result<(StatusCode, Json<QueuedJson>), ApiError> {
    let id = super::ops::invitation_id(&bid)?;
    let answer = match body.decision.as_str() {
        "accept" => Answer::Accept,
        "decline" => Answer::Decline {
            reason: coopnet_protocol::kinds::fields::normalise_line_breaks(&body.reason),
        },
        "counter" => {
            let rate = body
                .day_rate
                .and_then(|r| u32::try_from(r).ok())
                .filter(|r| (1..=100_000).contains(r))
                .ok_or_else(|| Failure::invalid("day_rate", "must be between 1 and 100000"))?;
            let mut skills = Vec::new();
            for (i, s) in body.skills.iter().enumerate() {
                let days = u32::try_from(s.days)
                    .ok()
                    .filter(|d| (1..=10_000).contains(d))
                    .ok_or_else(|| {
                        Failure::invalid(format!("skills[{i}].days"), "must be between 1 and 10000")
                    })?;
                skills.push(SkillDays {
                    skill: s.skill.trim().to_owned(),
                    days,
                });
            }
            if skills.is_empty() {
                return Err(Failure::invalid("skills", "must not be empty").into());
            }
            Answer::Counter {
                terms: Terms { skills, rate },
                message: coopnet_protocol::kinds::fields::normalise_line_breaks(&body.message),
            }
        }
        _ => return Err(Failure::invalid("decision", "must be accept, decline or counter").into()),
    };
    state.backend.bids().answer_invitation(id, answer).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(QueuedJson {
            bid,
            sent: "answer".into(),
        }),
    ))
}

/// An outcome's word in the API.
pub fn outcome_word(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Submitted => "submitted",
        Outcome::Won => "won",
        Outcome::Lost => "lost",
        Outcome::Withdrawn => "withdrawn",
        Outcome::Removed => "removed",
    }
}

/// A published notice.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeJson {
    /// The bid.
    pub bid_id: String,
    /// Whether a notice now follows the bid's status.
    pub published: bool,
}

/// Publishes (or updates) the bid's public notice: its contract, our
/// co-op as lead, the partners and where it stands; never roles, days or
/// prices. Once published it follows the bid's status.
#[utoipa::path(post, path = "/api/v1/bids/{bid_id}/notice", tag = "bids",
    params(("bid_id" = String, Path, description = "The bid's id")),
    responses((status = 200, body = NoticeJson, description = "Published"),
        (status = 404, body = ErrorBody, description = "No such bid")))]
pub async fn notice(
    State(state): State<AppState>,
    Path(bid_id): Path<String>,
) -> Result<Json<NoticeJson>, ApiError> {
    ops::bid_exists(state.backend.as_ref(), &bid_id).await?;
    state
        .backend
        .bids()
        .publish_bid_notice(bid_id.clone())
        .await?;
    Ok(Json(NoticeJson {
        bid_id,
        published: true,
    }))
}

/// Signs the document the lead froze for this bid with our co-op's key;
/// the signature waits in the outbox until the lead's node takes it.
#[utoipa::path(post, path = "/api/v1/invitations/{bid}/sign", tag = "bids",
    params(("bid" = String, Path, description = "The bid, 32 hex")),
    responses((status = 202, body = QueuedJson, description = "Queued for the lead"),
        (status = 404, body = ErrorBody, description = "No document to sign for that bid")))]
pub async fn sign(
    State(state): State<AppState>,
    Path(bid): Path<String>,
) -> Result<(StatusCode, Json<QueuedJson>), ApiError> {
    let id = super::ops::invitation_id(&bid)?;
    state.backend.bids().sign_bid_document(id).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(QueuedJson {
            bid,
            sent: "signature".into(),
        }),
    ))
}
