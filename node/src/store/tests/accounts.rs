//! The web app's accounts: users, sessions and API tokens.

use super::*;

const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";

async fn store_with_alice(dir: &tempfile::TempDir) -> (Store, i64) {
    let store = open(&db_path(dir)).await;
    let id = store
        .add_user("Alice".to_owned(), HASH.to_owned(), Role::Admin)
        .await
        .unwrap();
    (store, id)
}

#[tokio::test]
async fn users_are_added_committed_and_found_by_name_in_any_case() {
    let dir = tempfile::tempdir().unwrap();
    let (store, alice) = store_with_alice(&dir).await;
    let bob = store
        .add_user("bob".to_owned(), "other".to_owned(), Role::Member)
        .await
        .unwrap();
    assert_ne!(alice, bob);

    // Committed, not queued: another connection sees it at once.
    let names: i64 = Connection::open(db_path(&dir))
        .unwrap()
        .query_row("SELECT count(*) FROM users", [], |row| row.get(0))
        .unwrap();
    assert_eq!(names, 2);

    let found = store
        .user_by_name("ALICE".to_owned())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, alice);
    assert_eq!(found.username, "Alice");
    assert_eq!(found.password_hash, HASH);
    assert_eq!(found.role, Role::Admin);
    assert!(found.created_at > 0);
    assert!(!format!("{found:?}").contains("argon2"), "{found:?}");
    assert_eq!(store.user(bob).await.unwrap().unwrap().role, Role::Member);
    assert_eq!(store.user(999).await.unwrap(), None);
    assert_eq!(store.user_by_name("carol".to_owned()).await.unwrap(), None);
    let all: Vec<i64> = store.users().await.unwrap().iter().map(|u| u.id).collect();
    assert_eq!(all, [alice, bob]);
    assert_eq!(store.count_users().await.unwrap(), 2);

    assert!(store.set_password(bob, "new".to_owned()).await.unwrap());
    assert!(store.set_role(bob, Role::Admin).await.unwrap());
    let bob_now = store.user(bob).await.unwrap().unwrap();
    assert_eq!(
        (bob_now.password_hash.as_str(), bob_now.role),
        ("new", Role::Admin)
    );
    assert!(!store.set_password(999, "x".to_owned()).await.unwrap());
}

#[tokio::test]
async fn a_taken_username_in_another_case_is_a_conflict_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = store_with_alice(&dir).await;
    let error = store
        .add_user("aLiCe".to_owned(), HASH.to_owned(), Role::Member)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, StoreError::Conflict(m) if m.contains("aLiCe")),
        "{error:?}"
    );
    assert_eq!(store.count_users().await.unwrap(), 1);
    // The store still works, and a failing write in a batch fails alone.
    let (good, bad) = tokio::join!(
        store.add_user("carol".to_owned(), HASH.to_owned(), Role::Member),
        store.add_user("ALICE".to_owned(), HASH.to_owned(), Role::Member),
    );
    assert!(good.is_ok());
    assert!(matches!(bad, Err(StoreError::Conflict(_))));
    assert_eq!(store.count_users().await.unwrap(), 2);
}

#[tokio::test]
async fn a_session_lasts_until_it_expires_or_is_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let (store, alice) = store_with_alice(&dir).await;
    let (token, other) = ([1; 32], [2; 32]);
    // Both end after the time the store writes by (its clock).
    let end = crate::clock::now().0 + 3_600_000;
    store
        .create_session(token, alice, "csrf-1".to_owned(), end)
        .await
        .unwrap();
    store
        .create_session(other, alice, "csrf-2".to_owned(), end + 10_000)
        .await
        .unwrap();

    let (user, csrf) = store.session(token, end - 1).await.unwrap().unwrap();
    assert_eq!((user.id, csrf.as_str()), (alice, "csrf-1"));
    assert_eq!(store.session(token, end).await.unwrap(), None);
    assert_eq!(store.session([3; 32], 0).await.unwrap(), None);

    assert_eq!(store.delete_expired_sessions(end).await.unwrap(), 1);
    assert!(store.session(other, end).await.unwrap().is_some());
    assert!(store.delete_session(other).await.unwrap());
    assert!(!store.delete_session(other).await.unwrap());
    assert_eq!(store.session(other, 0).await.unwrap(), None);

    // A log-in clears sessions that have run out.
    store
        .create_session([4; 32], alice, "old".to_owned(), 10_000)
        .await
        .unwrap();
    store
        .create_session([5; 32], alice, "new".to_owned(), end)
        .await
        .unwrap();
    assert_eq!(store.session([4; 32], 0).await.unwrap(), None, "deleted");
    assert!(store.session([5; 32], 0).await.unwrap().is_some());

    // A session for nobody is refused.
    let error = store
        .create_session([4; 32], 999, "c".to_owned(), 1)
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Conflict(_)), "{error:?}");
}

#[tokio::test]
async fn a_token_finds_its_user_and_notes_its_use() {
    let dir = tempfile::tempdir().unwrap();
    let (store, alice) = store_with_alice(&dir).await;
    store
        .create_token([7; 32], alice, "laptop".to_owned())
        .await
        .unwrap();
    let listed = store.tokens(alice).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (
            listed[0].token_hash,
            listed[0].name.as_str(),
            listed[0].last_used_at
        ),
        ([7; 32], "laptop", None)
    );

    let user = store.token_user([7; 32]).await.unwrap().unwrap();
    assert_eq!(user.id, alice);
    let used = store.tokens(alice).await.unwrap()[0].last_used_at;
    assert!(used.is_some_and(|at| at >= listed[0].created_at));
    assert_eq!(store.token_user([8; 32]).await.unwrap(), None);

    let duplicate = store.create_token([7; 32], alice, "again".to_owned()).await;
    assert!(matches!(duplicate, Err(StoreError::Conflict(_))));
    assert!(store.delete_token([7; 32]).await.unwrap());
    assert_eq!(store.token_user([7; 32]).await.unwrap(), None);
    assert!(store.tokens(alice).await.unwrap().is_empty());
}

#[test]
fn a_tokens_last_use_is_only_rewritten_once_it_is_a_minute_old() {
    let mut conn = Connection::open_in_memory().unwrap();
    schema::prepare(&mut conn).unwrap();
    let alice = crate::store::accounts::add_user(&conn, "alice", HASH, Role::Member, 0).unwrap();
    crate::store::accounts::create_token(&conn, &[7; 32], alice, "ci", 0).unwrap();
    let last_used =
        |conn: &Connection| crate::store::accounts::tokens(conn, alice).unwrap()[0].last_used_at;
    for (now, expected) in [(1_000, 1_000), (60_999, 1_000), (61_000, 61_000)] {
        assert!(
            crate::store::accounts::token_user(&conn, &[7; 32], now)
                .unwrap()
                .is_some()
        );
        assert_eq!(last_used(&conn), Some(expected), "at {now}");
    }
}

#[tokio::test]
async fn deleting_a_user_deletes_their_sessions_and_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let (store, alice) = store_with_alice(&dir).await;
    store
        .create_session([1; 32], alice, "c".to_owned(), u64::MAX >> 1)
        .await
        .unwrap();
    store
        .create_token([2; 32], alice, "t".to_owned())
        .await
        .unwrap();
    assert!(store.delete_user(alice).await.unwrap());
    assert!(!store.delete_user(alice).await.unwrap());
    assert_eq!(store.session([1; 32], 0).await.unwrap(), None);
    assert_eq!(store.token_user([2; 32]).await.unwrap(), None);
    let conn = Connection::open(db_path(&dir)).unwrap();
    for table in ["sessions", "api_tokens", "users"] {
        let rows: i64 = conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                row.get(0)
            })
            .unwrap();
        assert_eq!(rows, 0, "{table}");
    }
}

#[tokio::test]
async fn deleting_a_users_sessions_leaves_other_users_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let (store, alice) = store_with_alice(&dir).await;
    let bob = store
        .add_user("bob".to_owned(), HASH.to_owned(), Role::Member)
        .await
        .unwrap();
    let end = crate::clock::now().0 + 3_600_000;
    for (token, user) in [([1; 32], alice), ([2; 32], alice), ([3; 32], bob)] {
        store
            .create_session(token, user, "c".to_owned(), end)
            .await
            .unwrap();
    }
    assert_eq!(store.delete_user_sessions(alice).await.unwrap(), 2);
    assert!(store.session([3; 32], 0).await.unwrap().is_some());
}
