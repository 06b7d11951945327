//! The web app's local accounts: users, log-in sessions and API tokens.
//! Never gossiped. The web layer hashes passwords (argon2id PHC strings)
//! and tokens (SHA-256) itself; the store only keeps and finds them.
//!
//! The plain functions take a connection like [`super::db`]'s; the
//! [`Store`] methods run them on the store's thread. Users and tokens
//! commit at `synchronous=FULL` before the methods return; sessions (and a
//! token's last use) at `NORMAL`: a power cut may at worst log someone out.

use std::fmt;
use std::str::FromStr;

use rusqlite::{Connection, OptionalExtension, Row, ffi, params};

use super::db::{from_column, to_column};
use super::{Store, StoreError};

/// What a user may do in the web app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Runs the node: manages users and publishes for the co-op.
    Admin,
    /// A member of the co-op.
    Member,
}

impl Role {
    /// The stored (and displayed) name: `admin` or `member`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "admin" => Ok(Role::Admin),
            "member" => Ok(Role::Member),
            other => Err(format!("unknown role {other:?}")),
        }
    }
}

/// A user of the web app.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    /// The user's id, stable for the life of the account.
    pub id: i64,
    /// The name they log in with, as they chose it; unique regardless of
    /// ASCII case.
    pub username: String,
    /// Their password's hash (a PHC string), as the web layer made it.
    pub password_hash: String,
    /// What they may do.
    pub role: Role,
    /// Whether they may admit and revoke members for the co-op (when the
    /// co-op is one of its federation's coordinators).
    pub coordinator: bool,
    /// When the account was made, Unix ms (the store's clock).
    pub created_at: u64,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("password_hash", &"..")
            .field("role", &self.role)
            .field("coordinator", &self.coordinator)
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// An API token, known by its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// The SHA-256 of the token; also how the token is named to delete it.
    pub token_hash: [u8; 32],
    /// Whose token it is.
    pub user_id: i64,
    /// The name its owner gave it.
    pub name: String,
    /// When it was made, Unix ms.
    pub created_at: u64,
    /// When it was last used, Unix ms, to within [`TOKEN_USE_GRANULARITY_MS`].
    pub last_used_at: Option<u64>,
}

/// A token's `last_used_at` is only rewritten when it is older than this,
/// so a busy API client does not cost a write per request.
pub const TOKEN_USE_GRANULARITY_MS: u64 = 60_000;

const USER: &str = "SELECT id, username, password_hash, role, created_at, coordinator FROM users";

/// A user's columns as read.
type UserRow = (i64, String, String, String, i64, bool);

fn user_row(row: &Row<'_>) -> rusqlite::Result<UserRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
    ))
}

fn to_user(
    (id, username, password_hash, role, created_at, coordinator): UserRow,
) -> Result<User, StoreError> {
    Ok(User {
        id,
        username,
        password_hash,
        role: role.parse().map_err(StoreError::Corrupt)?,
        coordinator,
        created_at: from_column(created_at),
    })
}

/// Whether `error` is a UNIQUE or PRIMARY KEY violation.
fn is_duplicate(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(failure, _)
            if failure.extended_code == ffi::SQLITE_CONSTRAINT_UNIQUE
                || failure.extended_code == ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

/// Whether `error` is a FOREIGN KEY violation (no such user).
fn is_dangling(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(failure, _)
            if failure.extended_code == ffi::SQLITE_CONSTRAINT_FOREIGNKEY
    )
}

/// Adds a user and returns their id; a username already taken (in any
/// ASCII case) is [`StoreError::Conflict`].
pub fn add_user(
    conn: &Connection,
    username: &str,
    password_hash: &str,
    role: Role,
    now_ms: u64,
) -> Result<i64, StoreError> {
    let inserted = conn
        .prepare_cached(
            "INSERT INTO users (username, password_hash, role, created_at) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            username,
            password_hash,
            role.as_str(),
            to_column(now_ms)
        ]);
    match inserted {
        Ok(_) => Ok(conn.last_insert_rowid()),
        Err(e) if is_duplicate(&e) => Err(StoreError::Conflict(format!(
            "the username {username:?} is taken"
        ))),
        Err(e) => Err(e.into()),
    }
}

/// The user with this username, in any ASCII case.
pub fn user_by_name(conn: &Connection, username: &str) -> Result<Option<User>, StoreError> {
    let sql = format!("{USER} WHERE username = ?1");
    let row = conn
        .prepare_cached(&sql)?
        .query_row([username], user_row)
        .optional()?;
    row.map(to_user).transpose()
}

/// The user with this id.
pub fn user(conn: &Connection, id: i64) -> Result<Option<User>, StoreError> {
    let sql = format!("{USER} WHERE id = ?1");
    let row = conn
        .prepare_cached(&sql)?
        .query_row([id], user_row)
        .optional()?;
    row.map(to_user).transpose()
}

/// Every user, by id.
pub fn users(conn: &Connection) -> Result<Vec<User>, StoreError> {
    let sql = format!("{USER} ORDER BY id");
    let mut query = conn.prepare_cached(&sql)?;
    let rows = query.query_map([], user_row)?;
    rows.map(|row| to_user(row?)).collect()
}

/// How many users there are.
pub fn count_users(conn: &Connection) -> Result<u64, StoreError> {
    let count: i64 = conn
        .prepare_cached("SELECT count(*) FROM users")?
        .query_row([], |row| row.get(0))?;
    Ok(from_column(count))
}

/// Replaces a user's password hash; `false` if there is no such user.
pub fn set_password(conn: &Connection, id: i64, password_hash: &str) -> Result<bool, StoreError> {
    let changed = conn
        .prepare_cached("UPDATE users SET password_hash = ?2 WHERE id = ?1")?
        .execute(params![id, password_hash])?;
    Ok(changed == 1)
}

/// Gives or takes a user's coordinator role; `false` if there is no
/// such user.
pub fn set_coordinator(conn: &Connection, username: &str, on: bool) -> Result<bool, StoreError> {
    let changed = conn
        .prepare_cached("UPDATE users SET coordinator = ?2 WHERE username = ?1")?
        .execute(params![username, on])?;
    Ok(changed == 1)
}

/// Changes a user's role; `false` if there is no such user.
pub fn set_role(conn: &Connection, id: i64, role: Role) -> Result<bool, StoreError> {
    let changed = conn
        .prepare_cached("UPDATE users SET role = ?2 WHERE id = ?1")?
        .execute(params![id, role.as_str()])?;
    Ok(changed == 1)
}

/// Deletes a user with their sessions and tokens; `false` if there was no
/// such user.
pub fn delete_user(conn: &Connection, id: i64) -> Result<bool, StoreError> {
    let changed = conn
        .prepare_cached("DELETE FROM users WHERE id = ?1")?
        .execute([id])?;
    Ok(changed == 1)
}

/// Starts a session; an unknown user or a token hash already in use is
/// [`StoreError::Conflict`].
pub fn create_session(
    conn: &Connection,
    token_hash: &[u8; 32],
    user_id: i64,
    csrf: &str,
    expires_at_ms: u64,
    now_ms: u64,
) -> Result<(), StoreError> {
    // Each log-in clears the sessions that have run out, so the table
    // holds no more than the live ones and those of the last few days.
    delete_expired_sessions(conn, now_ms)?;
    let inserted = conn
        .prepare_cached(
            "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            &token_hash[..],
            user_id,
            csrf,
            to_column(now_ms),
            to_column(expires_at_ms)
        ]);
    inserted.map(|_| ()).map_err(|e| conflict(e, user_id))
}

fn conflict(error: rusqlite::Error, user_id: i64) -> StoreError {
    if is_dangling(&error) {
        StoreError::Conflict(format!("there is no user {user_id}"))
    } else if is_duplicate(&error) {
        StoreError::Conflict("that token is already in use".to_owned())
    } else {
        error.into()
    }
}

/// The user of an unexpired session (`expires_at > now_ms`) and its CSRF
/// token.
pub fn session(
    conn: &Connection,
    token_hash: &[u8; 32],
    now_ms: u64,
) -> Result<Option<(User, String)>, StoreError> {
    let row = conn
        .prepare_cached(
            "SELECT u.id, u.username, u.password_hash, u.role, u.created_at, u.coordinator, s.csrf \
             FROM sessions AS s JOIN users AS u ON u.id = s.user_id \
             WHERE s.token_hash = ?1 AND s.expires_at > ?2",
        )?
        .query_row(params![&token_hash[..], to_column(now_ms)], |row| {
            Ok((user_row(row)?, row.get::<_, String>(6)?))
        })
        .optional()?;
    row.map(|(user, csrf)| Ok((to_user(user)?, csrf)))
        .transpose()
}

/// Ends a session; `false` if there was none.
pub fn delete_session(conn: &Connection, token_hash: &[u8; 32]) -> Result<bool, StoreError> {
    let changed = conn
        .prepare_cached("DELETE FROM sessions WHERE token_hash = ?1")?
        .execute([&token_hash[..]])?;
    Ok(changed == 1)
}

/// Ends every session of a user (after a password change); how many.
pub fn delete_user_sessions(conn: &Connection, user_id: i64) -> Result<u64, StoreError> {
    let changed = conn
        .prepare_cached("DELETE FROM sessions WHERE user_id = ?1")?
        .execute([user_id])?;
    Ok(changed as u64)
}

/// Deletes the sessions expired at `now_ms`; how many.
pub fn delete_expired_sessions(conn: &Connection, now_ms: u64) -> Result<u64, StoreError> {
    let changed = conn
        .prepare_cached("DELETE FROM sessions WHERE expires_at <= ?1")?
        .execute([to_column(now_ms)])?;
    Ok(changed as u64)
}

/// Adds an API token; an unknown user or a token hash already in use is
/// [`StoreError::Conflict`].
pub fn create_token(
    conn: &Connection,
    token_hash: &[u8; 32],
    user_id: i64,
    name: &str,
    now_ms: u64,
) -> Result<(), StoreError> {
    let inserted = conn
        .prepare_cached(
            "INSERT INTO api_tokens (token_hash, user_id, name, created_at) \
             VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![&token_hash[..], user_id, name, to_column(now_ms)]);
    inserted.map(|_| ()).map_err(|e| conflict(e, user_id))
}

/// The user a token belongs to, noting the token's use at `now_ms` when
/// its `last_used_at` is unset or older than [`TOKEN_USE_GRANULARITY_MS`].
pub fn token_user(
    conn: &Connection,
    token_hash: &[u8; 32],
    now_ms: u64,
) -> Result<Option<User>, StoreError> {
    let Some((user, last_used)) = token_lookup(conn, token_hash)? else {
        return Ok(None);
    };
    if use_is_stale(last_used, now_ms) {
        note_token_use(conn, token_hash, now_ms)?;
    }
    Ok(Some(user))
}

/// Whether a token last used at `last_used` should have its use noted
/// again at `now_ms`.
fn use_is_stale(last_used: Option<u64>, now_ms: u64) -> bool {
    last_used.is_none_or(|at| at.saturating_add(TOKEN_USE_GRANULARITY_MS) <= now_ms)
}

/// Records that a token was used at `now_ms`.
fn note_token_use(conn: &Connection, token_hash: &[u8; 32], now_ms: u64) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE api_tokens SET last_used_at = ?2 WHERE token_hash = ?1")?
        .execute(params![&token_hash[..], to_column(now_ms)])?;
    Ok(())
}

/// The user a token belongs to and when the token was last used, without
/// writing anything.
fn token_lookup(
    conn: &Connection,
    token_hash: &[u8; 32],
) -> Result<Option<(User, Option<u64>)>, StoreError> {
    let row = conn
        .prepare_cached(
            "SELECT u.id, u.username, u.password_hash, u.role, u.created_at, u.coordinator, \
             t.last_used_at \
             FROM api_tokens AS t JOIN users AS u ON u.id = t.user_id \
             WHERE t.token_hash = ?1",
        )?
        .query_row([&token_hash[..]], |row| {
            Ok((user_row(row)?, row.get::<_, Option<i64>>(6)?))
        })
        .optional()?;
    let Some((user, last_used)) = row else {
        return Ok(None);
    };
    Ok(Some((to_user(user)?, last_used.map(from_column))))
}

/// A user's tokens, oldest first.
pub fn tokens(conn: &Connection, user_id: i64) -> Result<Vec<ApiToken>, StoreError> {
    let mut query = conn.prepare_cached(
        "SELECT token_hash, user_id, name, created_at, last_used_at FROM api_tokens \
         WHERE user_id = ?1 ORDER BY created_at, token_hash",
    )?;
    let rows = query.query_map([user_id], |row| {
        Ok(ApiToken {
            token_hash: row.get(0)?,
            user_id: row.get(1)?,
            name: row.get(2)?,
            created_at: from_column(row.get(3)?),
            last_used_at: row.get::<_, Option<i64>>(4)?.map(from_column),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Deletes a token; `false` if there was none.
pub fn delete_token(conn: &Connection, token_hash: &[u8; 32]) -> Result<bool, StoreError> {
    let changed = conn
        .prepare_cached("DELETE FROM api_tokens WHERE token_hash = ?1")?
        .execute([&token_hash[..]])?;
    Ok(changed == 1)
}

/// Durable: committed at `synchronous=FULL` before the answer.
const DURABLE: bool = true;
/// Committed at `synchronous=NORMAL`.
const NORMAL: bool = false;

/// The accounts, on the store's thread. All are cancel-safe in the
/// module's sense (see [`super`]); writes are committed when they return.
impl Store {
    /// Adds a user (created now, by the store's clock) and returns their
    /// id; a username already taken in any ASCII case is
    /// [`StoreError::Conflict`].
    pub async fn add_user(
        &self,
        username: String,
        password_hash: String,
        role: Role,
    ) -> Result<i64, StoreError> {
        self.write_job(DURABLE, move |conn, now| {
            add_user(conn, &username, &password_hash, role, now.0)
        })
        .await
    }

    /// The user with this username, in any ASCII case.
    pub async fn user_by_name(&self, username: String) -> Result<Option<User>, StoreError> {
        self.read(move |conn| user_by_name(conn, &username)).await
    }

    /// The user with this id.
    pub async fn user(&self, id: i64) -> Result<Option<User>, StoreError> {
        self.read(move |conn| user(conn, id)).await
    }

    /// Every user, by id.
    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        self.read(users).await
    }

    /// How many users there are.
    pub async fn count_users(&self) -> Result<u64, StoreError> {
        self.read(count_users).await
    }

    /// Replaces a user's password hash; `false` if there is no such user.
    pub async fn set_password(&self, id: i64, password_hash: String) -> Result<bool, StoreError> {
        self.write_job(DURABLE, move |conn, _| {
            set_password(conn, id, &password_hash)
        })
        .await
    }

    /// Gives or takes a user's coordinator role; `false` if there is no
    /// such user.
    pub async fn set_coordinator(&self, username: String, on: bool) -> Result<bool, StoreError> {
        self.write_job(DURABLE, move |conn, _| set_coordinator(conn, &username, on))
            .await
    }

    /// Changes a user's role; `false` if there is no such user.
    pub async fn set_role(&self, id: i64, role: Role) -> Result<bool, StoreError> {
        self.write_job(DURABLE, move |conn, _| set_role(conn, id, role))
            .await
    }

    /// Deletes a user with their sessions and tokens; `false` if there was
    /// no such user.
    pub async fn delete_user(&self, id: i64) -> Result<bool, StoreError> {
        self.write_job(DURABLE, move |conn, _| delete_user(conn, id))
            .await
    }

    /// Starts a session lasting until `expires_at_ms`; an unknown user or
    /// a token hash already in use is [`StoreError::Conflict`].
    pub async fn create_session(
        &self,
        token_hash: [u8; 32],
        user_id: i64,
        csrf: String,
        expires_at_ms: u64,
    ) -> Result<(), StoreError> {
        self.write_job(NORMAL, move |conn, now| {
            create_session(conn, &token_hash, user_id, &csrf, expires_at_ms, now.0)
        })
        .await
    }

    /// The user of a session unexpired at `now_ms`, and its CSRF token.
    pub async fn session(
        &self,
        token_hash: [u8; 32],
        now_ms: u64,
    ) -> Result<Option<(User, String)>, StoreError> {
        self.read(move |conn| session(conn, &token_hash, now_ms))
            .await
    }

    /// Ends a session; `false` if there was none.
    pub async fn delete_session(&self, token_hash: [u8; 32]) -> Result<bool, StoreError> {
        self.write_job(NORMAL, move |conn, _| delete_session(conn, &token_hash))
            .await
    }

    /// Ends every session of a user; how many.
    pub async fn delete_user_sessions(&self, user_id: i64) -> Result<u64, StoreError> {
        self.write_job(NORMAL, move |conn, _| delete_user_sessions(conn, user_id))
            .await
    }

    /// Deletes the sessions expired at `now_ms`; how many.
    pub async fn delete_expired_sessions(&self, now_ms: u64) -> Result<u64, StoreError> {
        self.write_job(NORMAL, move |conn, _| delete_expired_sessions(conn, now_ms))
            .await
    }

    /// Adds an API token (created now, by the store's clock); an unknown
    /// user or a token hash already in use is [`StoreError::Conflict`].
    pub async fn create_token(
        &self,
        token_hash: [u8; 32],
        user_id: i64,
        name: String,
    ) -> Result<(), StoreError> {
        self.write_job(DURABLE, move |conn, now| {
            create_token(conn, &token_hash, user_id, &name, now.0)
        })
        .await
    }

    /// The user a token belongs to, read afresh every time (a deleted
    /// token stops working at once); notes its use (by the store's clock,
    /// to within [`TOKEN_USE_GRANULARITY_MS`], so a busy client costs a
    /// write a minute, not one a request).
    pub async fn token_user(&self, token_hash: [u8; 32]) -> Result<Option<User>, StoreError> {
        let found = self
            .read(move |conn| token_lookup(conn, &token_hash))
            .await?;
        let Some((user, last_used)) = found else {
            return Ok(None);
        };
        if use_is_stale(last_used, crate::clock::now().0) {
            self.write_job(NORMAL, move |conn, now| {
                note_token_use(conn, &token_hash, now.0)
            })
            .await?;
        }
        Ok(Some(user))
    }

    /// A user's tokens, oldest first.
    pub async fn tokens(&self, user_id: i64) -> Result<Vec<ApiToken>, StoreError> {
        self.read(move |conn| tokens(conn, user_id)).await
    }

    /// Deletes a token; `false` if there was none.
    pub async fn delete_token(&self, token_hash: [u8; 32]) -> Result<bool, StoreError> {
        self.write_job(DURABLE, move |conn, _| delete_token(conn, &token_hash))
            .await
    }
}
