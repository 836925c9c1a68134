//! Alerts from Alertmanager: one row per occurrence (fingerprint and start), updated by later
//! notifications, listed latest first and by status.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use doxin_store::*;

fn alert(fingerprint: &str, name: &str, status: AlertStatus, starts_at: DateTime<Utc>) -> NewAlert {
    let labels: BTreeMap<String, String> = [
        ("alertname", name),
        ("severity", "critical"),
        ("service", "doxin"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    NewAlert {
        fingerprint: fingerprint.to_string(),
        alertname: name.to_string(),
        status,
        severity: Some("critical".into()),
        labels,
        annotations: [("summary".to_string(), format!("{name} fired"))].into(),
        starts_at,
        ends_at: None,
        generator_url: Some("http://prometheus:9090/graph?g0.expr=up".into()),
    }
}

pub async fn alerts_are_stored_once_per_occurrence_and_updated(store: &dyn Store) {
    // Microseconds: what both backends keep of a timestamp.
    let t0 = Utc::now().trunc_subsecs(6) - Duration::minutes(30);
    assert_eq!(store.record_alerts(&[]).await.expect("nothing"), 0);

    let firing = alert("fp-workers", "DoxinNoLiveWorkers", AlertStatus::Firing, t0);
    let other = alert("fp-redis", "DoxinRedisDown", AlertStatus::Firing, t0);
    assert_eq!(
        store
            .record_alerts(&[firing.clone(), other.clone()])
            .await
            .expect("record"),
        2
    );
    let all = store
        .list_alerts(&AlertFilter::default(), PageRequest::default())
        .await
        .expect("list");
    assert_eq!(all.total, 2);
    let stored = all
        .items
        .iter()
        .find(|a| a.fingerprint == "fp-workers")
        .expect("stored")
        .clone();
    assert_eq!(stored.alertname, "DoxinNoLiveWorkers");
    assert_eq!(stored.status, AlertStatus::Firing);
    assert_eq!(stored.severity.as_deref(), Some("critical"));
    assert_eq!(stored.labels, firing.labels);
    assert_eq!(stored.annotations["summary"], "DoxinNoLiveWorkers fired");
    assert_eq!(stored.starts_at, t0);
    assert_eq!(stored.ends_at, None);
    assert_eq!(stored.generator_url, firing.generator_url);

    // The same occurrence notified again (a repeat) is the same row.
    store
        .record_alerts(std::slice::from_ref(&firing))
        .await
        .expect("repeat");
    assert_eq!(
        store
            .list_alerts(&AlertFilter::default(), PageRequest::default())
            .await
            .expect("list")
            .total,
        2
    );

    // Resolved: the row changes, keeping its id.
    let t_end = t0 + Duration::minutes(10);
    let resolved = NewAlert {
        status: AlertStatus::Resolved,
        ends_at: Some(t_end),
        ..firing.clone()
    };
    assert_eq!(store.record_alerts(&[resolved]).await.expect("resolve"), 1);
    let by_status = |status| AlertFilter {
        status: Some(status),
    };
    let done = store
        .list_alerts(&by_status(AlertStatus::Resolved), PageRequest::default())
        .await
        .expect("resolved");
    assert_eq!(done.total, 1);
    assert_eq!(done.items[0].id, stored.id);
    assert_eq!(done.items[0].ends_at, Some(t_end));
    assert!(done.items[0].received_at >= stored.received_at);
    let still = store
        .list_alerts(&by_status(AlertStatus::Firing), PageRequest::default())
        .await
        .expect("firing");
    assert_eq!(still.total, 1);
    assert_eq!(still.items[0].fingerprint, "fp-redis");

    // A firing notification arriving after the resolved one does not reopen it.
    assert_eq!(
        store
            .record_alerts(std::slice::from_ref(&firing))
            .await
            .expect("late"),
        0
    );
    let after = store
        .list_alerts(&by_status(AlertStatus::Resolved), PageRequest::default())
        .await
        .expect("resolved");
    assert_eq!(after.total, 1);
    assert_eq!(after.items[0].ends_at, Some(t_end));

    // Firing again later is a new occurrence: a new row.
    let again = alert(
        "fp-workers",
        "DoxinNoLiveWorkers",
        AlertStatus::Firing,
        t0 + Duration::minutes(20),
    );
    assert_eq!(store.record_alerts(&[again]).await.expect("again"), 1);
    let page = store
        .list_alerts(&AlertFilter::default(), PageRequest::new(1, 2))
        .await
        .expect("page");
    assert_eq!((page.total, page.items.len(), page.has_next), (3, 2, true));
    // Latest received first.
    assert_eq!(page.items[0].fingerprint, "fp-workers");
    assert_eq!(page.items[0].status, AlertStatus::Firing);
    assert!(page.items[0].received_at >= page.items[1].received_at);
    let rest = store
        .list_alerts(&AlertFilter::default(), PageRequest::new(2, 2))
        .await
        .expect("page 2");
    assert_eq!(rest.items.len(), 1);
    assert!(!rest.has_next);
}
