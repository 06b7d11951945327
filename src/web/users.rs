//! Local users of a node's web app, and API tokens: `coopnet user add`,
//! `coopnet token create`, and the admin made at `init` and by the demo.
//! They work on the store file directly, whether or not the node runs
//! (SQLite in WAL mode takes a second connection).

use std::path::Path;

use anyhow::Context;
use coopnet_node::config::STORE_FILE;
use coopnet_node::store::{Role, Store, StoreError};
use coopnet_web::auth::{new_token, password, token_hash};

/// Opens the store of the node in `data`.
pub async fn open_store(data: &Path) -> anyhow::Result<Store> {
    anyhow::ensure!(
        data.join(coopnet_node::identity::KEY_FILE).exists(),
        "{} is not a node's data directory (run `coopnet init` first)",
        data.display()
    );
    Store::open(data.join(STORE_FILE))
        .await
        .with_context(|| format!("cannot open the store in {}", data.display()))
}

/// A random password for a new account: 20 characters, easy to copy.
pub fn random_password() -> String {
    new_token()[..20].to_owned()
}

/// Adds a user, or with `replace` resets the password of an existing one.
/// Returns the user's id.
pub async fn add_user(
    store: &Store,
    username: &str,
    secret: &str,
    role: Role,
    replace: bool,
) -> anyhow::Result<i64> {
    let username = username.trim();
    anyhow::ensure!(
        !username.is_empty() && username.chars().count() <= 64,
        "a user name must be 1 to 64 characters"
    );
    password::check_new(secret).map_err(|e| anyhow::anyhow!("the password {e}"))?;
    let hash = password::hash_async(secret.to_owned())
        .await
        .map_err(anyhow::Error::msg)?;
    match store
        .add_user(username.to_owned(), hash.clone(), role)
        .await
    {
        Ok(id) => Ok(id),
        Err(StoreError::Conflict(_)) if replace => {
            let user = store
                .user_by_name(username.to_owned())
                .await?
                .context("the user vanished")?;
            store.set_password(user.id, hash).await?;
            store.delete_user_sessions(user.id).await?;
            Ok(user.id)
        }
        Err(StoreError::Conflict(_)) => {
            anyhow::bail!("there is already a user called {username}")
        }
        Err(e) => Err(e.into()),
    }
}

/// Creates an API token for `username`, returning the token (shown once;
/// only its hash is kept).
pub async fn create_token(store: &Store, username: &str, name: &str) -> anyhow::Result<String> {
    let user = store
        .user_by_name(username.to_owned())
        .await?
        .with_context(|| format!("there is no user called {username}"))?;
    let token = new_token();
    store
        .create_token(token_hash(&token), user.id, name.to_owned())
        .await?;
    Ok(token)
}

/// One API token, as `coopnet token list` shows it (never the token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenLine {
    /// The first 12 hex digits of the token's hash: how to name it to
    /// `coopnet token revoke`.
    pub id: String,
    /// Its label.
    pub name: String,
    /// When it was made, Unix ms.
    pub created_at: u64,
    /// When it was last used, Unix ms (to within a minute).
    pub last_used_at: Option<u64>,
}

/// Digits of a token hash shown and accepted as its id.
const TOKEN_ID_LEN: usize = 12;

/// `username`'s API tokens, oldest first.
pub async fn list_tokens(store: &Store, username: &str) -> anyhow::Result<Vec<TokenLine>> {
    let user = store
        .user_by_name(username.to_owned())
        .await?
        .with_context(|| format!("there is no user called {username}"))?;
    Ok(store
        .tokens(user.id)
        .await?
        .into_iter()
        .map(|t| TokenLine {
            id: hex::encode(t.token_hash)[..TOKEN_ID_LEN].to_owned(),
            name: t.name,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
        })
        .collect())
}

/// Deletes `username`'s token named by `which` (its id from
/// [`list_tokens`], or its label if no other token has it). Takes effect at
/// once, also on a running node. Returns the deleted token's line.
pub async fn revoke_token(store: &Store, username: &str, which: &str) -> anyhow::Result<TokenLine> {
    let user = store
        .user_by_name(username.to_owned())
        .await?
        .with_context(|| format!("there is no user called {username}"))?;
    let tokens = store.tokens(user.id).await?;
    let by_id: Vec<_> = tokens
        .iter()
        .filter(|t| {
            which.len() >= 6 && hex::encode(t.token_hash).starts_with(&which.to_lowercase())
        })
        .collect();
    let by_name: Vec<_> = tokens.iter().filter(|t| t.name == which).collect();
    let token = match (by_id.as_slice(), by_name.as_slice()) {
        ([one], _) | ([], [one]) => *one,
        ([], []) => anyhow::bail!(
            "{username} has no token with id or name {which:?}; `coopnet token list` shows them"
        ),
        _ => anyhow::bail!(
            "several of {username}'s tokens match {which:?}; name one by the id \
             `coopnet token list` shows"
        ),
    };
    store.delete_token(token.token_hash).await?;
    Ok(TokenLine {
        id: hex::encode(token.token_hash)[..TOKEN_ID_LEN].to_owned(),
        name: token.name.clone(),
        created_at: token.created_at,
        last_used_at: token.last_used_at,
    })
}
