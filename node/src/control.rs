//! The local control socket: how `coopnet publish`, `list`, `peers` and
//! `status` talk to a running node. A Unix socket in the data directory
//! (mode 0600, so only the node's user can use it) carrying one JSON
//! request and one JSON reply per line.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use coopnet_protocol::kinds::Skills;
use coopnet_protocol::kinds::fields::{self, FieldError};
use coopnet_protocol::taxonomy::Taxonomy;
use coopnet_protocol::{Body, Kind, KindCode, PublicKey, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

use crate::Node;
use crate::store::ListFilter;

/// Name of the socket inside the data directory.
pub const SOCKET_FILE: &str = "control.sock";
/// Most bytes one control connection may send (its requests together).
pub const MAX_REQUEST_LEN: usize = 1024 * 1024;

/// A request on the control socket.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Request {
    /// Publish (or replace) one of our records.
    Publish {
        /// Kind name, e.g. `profile`.
        kind: String,
        /// Key within the kind; empty for one-per-co-op kinds.
        #[serde(default)]
        key: String,
        /// The body's fields as JSON.
        body: Value,
        /// Expiry, in Unix milliseconds.
        #[serde(default)]
        expires_at: Option<u64>,
    },
    /// Withdraw one of our records (publish a tombstone).
    Withdraw {
        /// Kind name.
        kind: String,
        /// Key within the kind.
        #[serde(default)]
        key: String,
    },
    /// List current records in the replica.
    List {
        /// Only this kind.
        #[serde(default)]
        kind: Option<String>,
        /// Only this author.
        #[serde(default)]
        author: Option<PublicKey>,
        /// At most this many (default 1,000; at most 100,000).
        #[serde(default)]
        limit: Option<usize>,
        /// Skip this many first (default 0); with `limit`, at most
        /// 100,000 together.
        #[serde(default)]
        offset: Option<usize>,
    },
    /// Admit a co-op to the federation (coordinators only).
    Admit {
        /// The co-op's key.
        member: PublicKey,
        /// Its name.
        name: String,
        /// `member` or `coordinator`.
        #[serde(default = "member_role")]
        role: coopnet_protocol::kinds::Role,
        /// When the membership lapses, in Unix milliseconds.
        #[serde(default)]
        expires_at: Option<u64>,
    },
    /// Revoke a co-op's membership (coordinators only).
    Revoke {
        /// The co-op's key.
        member: PublicKey,
        /// Why (kept for audit).
        reason: String,
    },
    /// Connected peers.
    Peers,
    /// Connect to a peer at this multiaddress (a relayed one too:
    /// `…/p2p/RELAY/p2p-circuit/p2p/PEER`).
    Connect {
        /// The address.
        addr: String,
    },
    /// The node's identity, addresses and counts.
    Status,
}

/// Serves the control socket until the task is aborted.
pub async fn serve(node: Arc<Node>) -> std::io::Result<()> {
    let path = socket_path(node.data_dir());
    // Bound under a temporary name, made 0600, then renamed into place: the
    // socket never exists at its path with looser permissions.
    let bound = node
        .data_dir()
        .join(format!("{SOCKET_FILE}.{}", std::process::id()));
    let _ = std::fs::remove_file(&bound);
    let listener = UnixListener::bind(&bound)?;
    std::fs::set_permissions(&bound, std::fs::Permissions::from_mode(0o600))?;
    std::fs::rename(&bound, &path)?;
    loop {
        let (stream, _) = listener.accept().await?;
        let node = Arc::clone(&node);
        tokio::spawn(async move {
            if let Err(e) = serve_one(node, stream).await {
                tracing::debug!("control connection: {e}");
            }
        });
    }
}

/// The JSON's strings with CR LF and CR line breaks as LF (SPEC §3.2).
fn with_lf_line_breaks(value: Value) -> Value {
    match value {
        Value::String(text) => Value::String(fields::normalise_line_breaks(&text)),
        Value::Array(items) => Value::Array(items.into_iter().map(with_lf_line_breaks).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, with_lf_line_breaks(v)))
                .collect(),
        ),
        other => other,
    }
}

/// Skills linked to the taxonomy's concepts, as the web app links them
/// (names stay as written); other bodies as they are.
fn linked(body: Body) -> Result<Body, FieldError> {
    match body {
        Body::Skills(skills) => {
            let mut fields = skills.into_fields();
            Taxonomy::esco().link(&mut fields);
            Ok(Body::Skills(Skills::parse(fields)?))
        }
        other => Ok(other),
    }
}

/// Where the socket of the node in `data_dir` lives.
pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SOCKET_FILE)
}

async fn serve_one(node: Arc<Node>, stream: UnixStream) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read.take(MAX_REQUEST_LEN as u64)).lines();
    while let Some(line) = lines.next_line().await? {
        let reply = match serde_json::from_str::<Request>(&line) {
            Ok(request) => handle(&node, request)
                .await
                .unwrap_or_else(|e| json!({"ok": false, "error": e})),
            Err(e) => json!({"ok": false, "error": format!("not a control request: {e}")}),
        };
        write.write_all(format!("{reply}\n").as_bytes()).await?;
    }
    Ok(())
}

fn member_role() -> coopnet_protocol::kinds::Role {
    coopnet_protocol::kinds::Role::Member
}

fn kind_of(name: &str) -> Result<Kind, String> {
    name.parse::<Kind>()
}

async fn handle(node: &Node, request: Request) -> Result<Value, String> {
    match request {
        Request::Publish {
            kind,
            key,
            body,
            expires_at,
        } => {
            let kind = kind_of(&kind)?;
            let body = Body::deserialize_as(kind, &with_lf_line_breaks(body))
                .map_err(|e| e.to_string())
                .and_then(|body| linked(body).map_err(|e| e.to_string()))
                .map_err(|e| format!("{}: {e}", kind.name()))?;
            let receipt = node
                .publish(kind.code(), &key, Some(body), expires_at.map(Timestamp))
                .await
                .map_err(|e| e.to_string())?;
            Ok(json!({"ok": true, "receipt": receipt}))
        }
        Request::Withdraw { kind, key } => {
            let kind = kind_of(&kind)?;
            let receipt = node
                .publish(kind.code(), &key, None, None)
                .await
                .map_err(|e| e.to_string())?;
            Ok(json!({"ok": true, "receipt": receipt}))
        }
        Request::List {
            kind,
            author,
            limit,
            offset,
        } => {
            let kind = kind.as_deref().map(kind_of).transpose()?.map(Kind::code);
            let (limit, offset) = (limit.unwrap_or(1_000), offset.unwrap_or(0));
            let (records, more) = list(node, kind, author, limit, offset).await?;
            Ok(json!({"ok": true, "records": records, "more": more}))
        }
        Request::Admit {
            member,
            name,
            role,
            expires_at,
        } => {
            let receipt = node
                .admit(member, &name, role, expires_at.map(Timestamp))
                .await
                .map_err(|e| e.to_string())?;
            Ok(json!({"ok": true, "receipt": receipt}))
        }
        Request::Revoke { member, reason } => {
            let receipt = node
                .revoke(member, &reason)
                .await
                .map_err(|e| e.to_string())?;
            Ok(json!({"ok": true, "receipt": receipt}))
        }
        Request::Peers => {
            let peers = node.net().peers().await.map_err(|e| e.to_string())?;
            Ok(json!({"ok": true, "peers": peers}))
        }
        Request::Connect { addr } => {
            let parsed = addr
                .parse()
                .map_err(|_| format!("{addr:?} is not a multiaddress"))?;
            match node.net().dial(parsed).await.map_err(|e| e.to_string())? {
                Ok(()) => Ok(json!({"ok": true})),
                Err(e) => Err(format!("cannot dial {addr}: {e}")),
            }
        }
        Request::Status => status(node).await,
    }
}

/// Most records a list may reach into (offset and limit together).
const MAX_LISTED: usize = 100_000;

/// Up to `limit` records after the first `offset`, newest first, and
/// whether more follow.
async fn list(
    node: &Node,
    kind: Option<KindCode>,
    author: Option<PublicKey>,
    limit: usize,
    offset: usize,
) -> Result<(Vec<Value>, bool), String> {
    let limit = limit.min(MAX_LISTED.saturating_sub(offset));
    let filter = ListFilter {
        kind,
        author,
        // One more than asked, to tell whether more exist.
        limit: offset + limit + 1,
        ..ListFilter::default()
    };
    let stored = node.store().list(filter).await.map_err(|e| e.to_string())?;
    let more = stored.len() > offset + limit;
    let page = stored
        .iter()
        .skip(offset)
        .take(limit)
        .map(record_json)
        .collect();
    Ok((page, more))
}

/// A stored record as JSON for scripts; `received_at` is when this node
/// stored it (Unix ms, its own clock).
pub fn record_json(stored: &crate::store::StoredRecord) -> Value {
    let record = &stored.record;
    let header = record.header();
    let body = record.body_bytes().map(|bytes| {
        Body::decode(header.kind, bytes).map_or(Value::Null, |b| {
            serde_json::to_value(b).unwrap_or(Value::Null)
        })
    });
    json!({
        "record_id": record.id(),
        "author": header.author,
        "kind": Kind::from_code(header.kind).map_or_else(|| header.kind.0.to_string(), |k| k.name().to_owned()),
        "key": header.key,
        "version": header.version,
        "issued_at": header.issued_at.0,
        "expires_at": header.expires_at.map(|t| t.0),
        "received_at": stored.received_at.0,
        "body": body,
    })
}

async fn status(node: &Node) -> Result<Value, String> {
    let net = node.net();
    let listen: Vec<String> = net
        .listen_addrs()
        .await
        .map_err(|e| e.to_string())?
        .iter()
        .map(|a| a.to_string())
        .collect();
    let peers = net.peers().await.map_err(|e| e.to_string())?.len();
    let stats = net.stats().await.map_err(|e| e.to_string())?;
    let counts = node.store().counts().await.map_err(|e| e.to_string())?;
    let peer_id = crate::identity::peer_id_of(&node.key()).map(|p| p.to_string());
    Ok(json!({
        "ok": true,
        "key": node.key(),
        "peer_id": peer_id,
        "name": node.name(),
        "listen": listen,
        "peers_connected": peers,
        "records": counts.records,
        "federation": node.federation().map(|g| json!({"name": g.name, "id": g.id().to_string()})),
        "member": node.gate().view().is_none_or(|v| v.is_member(&node.key())),
        "held": node.gate().held(),
        "net": stats,
    }))
}

/// Sends one request to the node in `data_dir` and returns its reply.
pub async fn call(data_dir: &Path, request: &Request) -> Result<Value, String> {
    let path = socket_path(data_dir);
    let stream = UnixStream::connect(&path).await.map_err(|e| {
        format!(
            "cannot reach the node at {} ({e}); is `coopnet run` running?",
            path.display()
        )
    })?;
    let (read, mut write) = stream.into_split();
    let line = serde_json::to_string(request).map_err(|e| e.to_string())? + "\n";
    write
        .write_all(line.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut lines = BufReader::new(read).lines();
    let reply = lines
        .next_line()
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the node closed the connection")?;
    let value: Value = serde_json::from_str(&reply).map_err(|e| e.to_string())?;
    if value["ok"] == true {
        Ok(value)
    } else {
        Err(value["error"]
            .as_str()
            .unwrap_or("unknown error")
            .to_owned())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn line_breaks_in_published_json_become_lf_everywhere_in_it() {
        let body = serde_json::json!({
            "description": "a\r\nb\rc",
            "tags": ["x\r\ny"],
            "nested": {"reason": "d\r\n"},
            "count": 3
        });
        let fixed = super::with_lf_line_breaks(body);
        assert_eq!(fixed["description"], "a\nb\nc");
        assert_eq!(fixed["tags"][0], "x\ny");
        assert_eq!(fixed["nested"]["reason"], "d\n");
        assert_eq!(fixed["count"], 3);
    }
}
