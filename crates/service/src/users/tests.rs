use super::*;
use tiercare_store::{AuditQuery, Store};

async fn context() -> Context {
    let url = tiercare_store::scratch::database_url("sqlite::memory:")
        .await
        .unwrap();
    let store = Store::open(&url).await.unwrap();
    let ctx = Context::new(store, "zx".parse().unwrap(), "ZX", |_, _| vec![]);
    // The first administrator, as `tiercare user add` would make them.
    ctx.store
        .add_user(&NewUser {
            username: "root".into(),
            password_hash: hash_password("root-password").unwrap().into_string(),
            role: UserRole::Admin,
            institution: None,
            practitioner: None,
            resident: None,
        })
        .await
        .unwrap();
    ctx
}

fn actor(username: &str, role: UserRole) -> Actor {
    Actor {
        username: username.into(),
        role,
        institution: None,
        practitioner: None,
        resident: None,
    }
}

fn new(username: &str, role: &str) -> NewAccount {
    NewAccount {
        username: username.into(),
        password: "long-enough-1".into(),
        role: role.into(),
        institution: None,
        practitioner: None,
        resident: None,
    }
}

fn field(e: &ServiceError) -> Option<&str> {
    match e {
        ServiceError::Invalid { field, .. } => field.as_deref(),
        _ => None,
    }
}

#[tokio::test]
async fn an_administrator_adds_changes_and_disables_accounts() {
    let ctx = context().await;
    let root = actor("root", UserRole::Admin);
    let users = Users::new(&ctx, &root);

    let added = users.add(new("fund", "insurer")).await.unwrap();
    assert_eq!(added.actor.role, UserRole::Insurer);
    let stored = ctx.store.user("fund").await.unwrap().unwrap();
    assert!(verify_password("long-enough-1", &stored.password_hash));

    let changed = users.change_role("fund", "analyst").await.unwrap();
    assert_eq!(changed.actor.role, UserRole::Analyst);
    assert!(users.disable("fund").await.unwrap().disabled);
    assert!(ctx.store.enabled_user("fund").await.unwrap().is_none());
    assert!(!users.enable("fund").await.unwrap().disabled);
    users
        .reset_password("fund", "another-password")
        .await
        .unwrap();
    let stored = ctx.store.user("fund").await.unwrap().unwrap();
    assert!(verify_password("another-password", &stored.password_hash));

    let names: Vec<_> = users
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.actor.username)
        .collect();
    assert_eq!(names, ["fund", "root"]);

    // Every change is in the audit trail, by the administrator.
    let (trail, _) = ctx
        .store
        .audit_search(&AuditQuery {
            username: Some("root".into()),
            count: 20,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    let details: Vec<_> = trail.iter().rev().map(|e| e.detail.as_str()).collect();
    assert_eq!(
        details,
        [
            "added as insurer",
            "role insurer -> analyst",
            "disabled",
            "enabled",
            "password reset"
        ]
    );
    assert!(trail.iter().all(|e| e.resource_type == "User"
        && e.resource_id.as_deref() == Some("fund")
        && e.outcome == AuditOutcome::Success));
}

#[tokio::test]
async fn bad_input_is_refused_with_its_field() {
    let ctx = context().await;
    let root = actor("root", UserRole::Admin);
    let users = Users::new(&ctx, &root);

    let e = users.add(new("x", "nurse")).await.unwrap_err();
    assert_eq!(field(&e), Some("role"), "{e}");
    let e = users.add(new("  ", "analyst")).await.unwrap_err();
    assert_eq!(field(&e), Some("username"), "{e}");
    let mut short = new("shorty", "analyst");
    short.password = "123456789".into();
    let e = users.add(short).await.unwrap_err();
    assert_eq!(field(&e), Some("password"), "{e}");
    let e = users.add(new("doc", "doctor")).await.unwrap_err();
    assert_eq!(field(&e), Some("institution"), "{e}");
    let mut nowhere = new("doc", "doctor");
    nowhere.institution = Some("no-such-centre".into());
    let e = users.add(nowhere).await.unwrap_err();
    assert_eq!(field(&e), Some("institution"), "{e}");
    let e = users.add(new("root", "analyst")).await.unwrap_err();
    assert!(matches!(e, ServiceError::Conflict(_)), "{e}");

    let e = users.change_role("ghost", "analyst").await.unwrap_err();
    assert!(matches!(e, ServiceError::NotFound(_)), "{e}");
    let e = users.disable("ghost").await.unwrap_err();
    assert!(matches!(e, ServiceError::NotFound(_)), "{e}");
    users.add(new("fund", "insurer")).await.unwrap();
    let e = users.change_role("fund", "resident").await.unwrap_err();
    assert_eq!(field(&e), Some("resident"), "{e}");

    let e = users.disable("root").await.unwrap_err();
    assert_eq!(field(&e), Some("username"), "{e}");
    let e = users.change_role("root", "analyst").await.unwrap_err();
    assert_eq!(field(&e), Some("username"), "{e}");
    assert!(!ctx.store.user("root").await.unwrap().unwrap().disabled);
}

#[tokio::test]
async fn others_are_refused_and_audited_but_set_their_own_language() {
    let ctx = context().await;
    let root = actor("root", UserRole::Admin);
    Users::new(&ctx, &root)
        .add(new("fund", "insurer"))
        .await
        .unwrap();
    let fund = actor("fund", UserRole::Insurer);
    let users = Users::new(&ctx, &fund);

    assert!(matches!(
        users.list().await,
        Err(ServiceError::Forbidden(_))
    ));
    assert!(matches!(
        users.add(new("mine", "admin")).await,
        Err(ServiceError::Forbidden(_))
    ));
    assert!(matches!(
        users.change_role("fund", "admin").await,
        Err(ServiceError::Forbidden(_))
    ));
    assert!(matches!(
        users.disable("root").await,
        Err(ServiceError::Forbidden(_))
    ));
    assert!(matches!(
        users.reset_password("root", "taken-over-1").await,
        Err(ServiceError::Forbidden(_))
    ));
    let (denied, _) = ctx
        .store
        .audit_search(&AuditQuery {
            username: Some("fund".into()),
            outcomes: vec![AuditOutcome::Denied],
            count: 20,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(denied.len(), 5);
    assert_eq!(
        ctx.store.user("fund").await.unwrap().unwrap().actor.role,
        UserRole::Insurer
    );

    let me = users.set_lang(Some("zh-CN")).await.unwrap();
    assert_eq!(me.lang.as_deref(), Some("zh-CN"));
    assert_eq!(users.me().await.unwrap().lang.as_deref(), Some("zh-CN"));
    let e = users.set_lang(Some("fr")).await.unwrap_err();
    assert_eq!(field(&e), Some("lang"), "{e}");
    assert_eq!(users.set_lang(None).await.unwrap().lang, None);
}
