//! Account stories: what sign-up, sign-in and administration rely on.

use chrono::{Duration, Utc};
use doxin_store::*;

fn new_user(email: &str) -> NewUser {
    NewUser {
        email: email.to_string(),
        display_name: "Someone".to_string(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_string(),
        role: Role::User,
    }
}

async fn code(store: &dyn Store, hash: &str, expires_in: Duration) -> AccessCode {
    store
        .create_access_code(NewAccessCode {
            code_hash: hash.to_string(),
            hint: hash.chars().take(4).collect(),
            note: Some("for Ann".into()),
            created_by: None,
            expires_at: Utc::now() + expires_in,
            grant: None,
        })
        .await
        .expect("create access code")
}

pub async fn sign_up_redeems_an_access_code_once(store: &dyn Store) {
    let fresh = code(store, "hash-fresh", Duration::days(7)).await;
    code(store, "hash-expired", Duration::seconds(-1)).await;
    let revoked = code(store, "hash-revoked", Duration::days(7)).await;
    store.revoke_access_code(revoked.id).await.expect("revoke");

    let ann = store
        .create_user_with_code(new_user("Ann@Example.com"), Some("hash-fresh"))
        .await
        .expect("sign-up with a fresh code");
    assert_eq!(ann.email, "ann@example.com");
    let used = store.find_access_code("hash-fresh").await.expect("code");
    assert_eq!(used.id, fresh.id);
    assert_eq!(used.used_by, Some(ann.id));
    assert!(!used.is_usable(Utc::now()));

    for hash in ["hash-fresh", "hash-expired", "hash-revoked", "hash-unknown"] {
        let err = store
            .create_user_with_code(new_user(&format!("{hash}@example.com")), Some(hash))
            .await
            .expect_err("an unusable code must refuse the sign-up");
        assert!(
            matches!(err, StoreError::InvalidState(_)),
            "{hash}: {err:?}"
        );
        // Nothing was created.
        assert!(matches!(
            store
                .find_user_by_email(&format!("{hash}@example.com"))
                .await,
            Err(StoreError::NotFound)
        ));
    }

    // A taken e-mail address does not burn the code.
    code(store, "hash-second", Duration::days(1)).await;
    let err = store
        .create_user_with_code(new_user("ann@example.com"), Some("hash-second"))
        .await
        .expect_err("duplicate e-mail");
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    assert!(
        store
            .find_access_code("hash-second")
            .await
            .expect("code")
            .is_usable(Utc::now())
    );

    // Without a code (open sign-up) a user is simply created.
    store
        .create_user_with_code(new_user("bob@example.com"), None)
        .await
        .expect("open sign-up");
}

pub async fn sessions_expire_and_end(store: &dyn Store) {
    let ann = store
        .create_user(new_user("ann@example.com"))
        .await
        .expect("user");
    let new = |hash: &str, expires_at| NewSession {
        token_hash: hash.to_string(),
        user_id: ann.id,
        csrf_token: format!("csrf-{hash}"),
        expires_at,
        ip: Some("203.0.113.9".into()),
        user_agent: Some("test".into()),
    };
    let s = store
        .create_session(new("s1", Utc::now() + Duration::hours(1)))
        .await
        .expect("session");
    assert_eq!(s.csrf_token, "csrf-s1");
    store
        .create_session(new("s2", Utc::now() + Duration::hours(1)))
        .await
        .expect("session");
    store
        .create_session(new("old", Utc::now() - Duration::seconds(1)))
        .await
        .expect("session");
    assert_eq!(store.get_session("s1").await.expect("s1").user_id, ann.id);
    assert!(matches!(
        store.get_session("old").await,
        Err(StoreError::NotFound)
    ));

    store.delete_session("s1").await.expect("sign out");
    assert!(matches!(
        store.get_session("s1").await,
        Err(StoreError::NotFound)
    ));

    store
        .create_session(new("s3", Utc::now() + Duration::hours(1)))
        .await
        .expect("session");
    let ended = store
        .delete_user_sessions(ann.id, Some("s3"))
        .await
        .expect("end others");
    assert_eq!(ended, 2, "s2 and the expired one");
    assert!(store.get_session("s3").await.is_ok());
    assert_eq!(
        store.delete_user_sessions(ann.id, None).await.expect("all"),
        1
    );
}

pub async fn api_tokens_are_found_by_hash_and_revoked_by_their_owner(store: &dyn Store) {
    let ann = store
        .create_user(new_user("ann@example.com"))
        .await
        .expect("user");
    let bob = store
        .create_user(new_user("bob@example.com"))
        .await
        .expect("user");
    let t = store
        .create_api_token(NewApiToken {
            user_id: ann.id,
            name: "ci".into(),
            token_hash: "th-1".into(),
            prefix: "dxn_abcd".into(),
            expires_at: None,
        })
        .await
        .expect("token");
    store
        .create_api_token(NewApiToken {
            user_id: ann.id,
            name: "expired".into(),
            token_hash: "th-2".into(),
            prefix: "dxn_efgh".into(),
            expires_at: Some(Utc::now() - Duration::seconds(1)),
        })
        .await
        .expect("token");
    let found = store.find_api_token("th-1").await.expect("found");
    assert_eq!((found.id, found.user_id), (t.id, ann.id));
    assert!(found.is_usable(Utc::now()));
    assert!(
        !store
            .find_api_token("th-2")
            .await
            .expect("found")
            .is_usable(Utc::now())
    );
    assert!(matches!(
        store.find_api_token("nope").await,
        Err(StoreError::NotFound)
    ));

    let now = Utc::now();
    store.touch_api_token(t.id, now).await.expect("touch");
    assert!(
        store
            .find_api_token("th-1")
            .await
            .expect("found")
            .last_used_at
            .is_some()
    );

    let listed = store.list_api_tokens(ann.id).await.expect("list");
    assert_eq!(listed.len(), 2);
    assert!(
        store
            .list_api_tokens(bob.id)
            .await
            .expect("list")
            .is_empty()
    );

    assert!(matches!(
        store.revoke_api_token(bob.id, t.id).await,
        Err(StoreError::NotFound)
    ));
    let revoked = store.revoke_api_token(ann.id, t.id).await.expect("revoke");
    assert!(revoked.revoked_at.is_some());
    assert!(
        !store
            .find_api_token("th-1")
            .await
            .expect("found")
            .is_usable(Utc::now())
    );
}

pub async fn access_codes_list_and_revoke(store: &dyn Store) {
    for i in 0..3 {
        code(store, &format!("list-{i}"), Duration::days(1)).await;
    }
    let page = store
        .list_access_codes(PageRequest::new(1, 2))
        .await
        .expect("list");
    assert_eq!((page.total, page.items.len(), page.has_next), (3, 2, true));
    let id = page.items[0].id;
    let revoked = store.revoke_access_code(id).await.expect("revoke");
    assert!(revoked.revoked_at.is_some());
    assert!(!revoked.is_usable(Utc::now()));
    assert!(matches!(
        store.revoke_access_code(uuid::Uuid::now_v7()).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn access_requests_are_decided_once(store: &dyn Store) {
    let admin = store
        .create_user(new_user("admin@example.com"))
        .await
        .expect("user");
    let r = store
        .create_access_request(NewAccessRequest {
            email: "Carl@Example.com".into(),
            name: "Carl".into(),
            message: Some("accounts payable".into()),
        })
        .await
        .expect("request");
    assert_eq!(r.status, AccessRequestStatus::Pending);
    assert_eq!(r.email, "carl@example.com");
    store
        .create_access_request(NewAccessRequest {
            email: "dora@example.com".into(),
            name: "Dora".into(),
            message: None,
        })
        .await
        .expect("request");
    let pending = store
        .list_access_requests(Some(AccessRequestStatus::Pending), PageRequest::default())
        .await
        .expect("list");
    assert_eq!(pending.total, 2);

    let c = code(store, "for-carl", Duration::days(7)).await;
    let decided = store
        .decide_access_request(
            r.id,
            AccessDecision {
                status: AccessRequestStatus::Approved,
                decided_by: admin.id,
                access_code_id: Some(c.id),
            },
        )
        .await
        .expect("approve");
    assert_eq!(decided.status, AccessRequestStatus::Approved);
    assert_eq!(decided.access_code_id, Some(c.id));
    let again = store
        .decide_access_request(
            r.id,
            AccessDecision {
                status: AccessRequestStatus::Rejected,
                decided_by: admin.id,
                access_code_id: None,
            },
        )
        .await
        .expect_err("already decided");
    assert!(matches!(again, StoreError::InvalidState(_)), "{again:?}");
    assert!(matches!(
        store
            .decide_access_request(
                uuid::Uuid::now_v7(),
                AccessDecision {
                    status: AccessRequestStatus::Rejected,
                    decided_by: admin.id,
                    access_code_id: None,
                },
            )
            .await,
        Err(StoreError::NotFound)
    ));
    let approved = store
        .list_access_requests(Some(AccessRequestStatus::Approved), PageRequest::default())
        .await
        .expect("list");
    assert_eq!(approved.total, 1);
}
