//! One conformance suite for every `Store` backend. Each story below runs against SQLite
//! (always, in a temporary file) and PostgreSQL (when `DOXIN_TEST_DATABASE_URL` names a
//! server; each test gets its own database, dropped afterwards). With `CI=true` a missing
//! PostgreSQL fails the suite instead of skipping it.

mod alerts;
mod helpers;
mod migrations;
mod reports;
mod search;
mod stories;

use helpers::TestDb;

macro_rules! conformance {
    ($($story:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $story() {
                    let db = super::TestDb::sqlite().await;
                    super::stories::$story(db.store()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $story() {
                    let Some(db) = super::TestDb::postgres().await else { return };
                    super::stories::$story(db.store()).await;
                    db.cleanup().await;
                }
            )*
        }
    };
}

conformance!(
    full_story_upload_to_deletion,
    migrations_are_idempotent,
    health_reports_the_backend,
    users_are_unique_by_email_and_updatable,
    users_page,
    companies_match_by_vat_id_then_name,
    companies_are_matched_and_listed_within_their_owner,
    files_are_found_by_hash_within_scope,
    invoices_are_invisible_outside_their_scope,
    invoice_filters,
    invoice_update_rewrites_columns,
    soft_deleted_invoices_disappear,
    duplicates_are_found_by_seller_and_number,
    one_invoice_per_job,
    amounts_round_trip_exactly,
    job_lifecycle_follows_the_rules,
    concurrent_job_updates_do_not_both_win,
    concurrent_writers_all_succeed,
    jobs_list_and_viewed,
    audit_log_filters_and_pages,
    usage_counters_add_up_by_route_user_and_day,
    queue_claims_each_job_once,
    queue_takes_over_expired_leases,
    queue_reconciliation_queries,
    workers_heartbeat_and_expire,
    one_live_invoice_per_file_hash,
    invoice_filters_of_the_earlier_system,
    full_text_search_ranks_within_scope,
    semantic_search_and_similar_invoices,
    dashboard_stats_within_scope,
    replacing_an_invoice_file,
    companies_with_invoice_counts,
    review_decisions_are_taken_once,
    invoices_are_assigned_and_listed_by_assignee,
    monitor_retries_and_requeues_dead_letters,
    review_neighbours_wrap_round_the_queue,
);

#[tokio::test]
async fn migrate_without_pgvector_names_pgvector() {
    let Some(url) = helpers::no_vector_url() else {
        return;
    };
    let (db_url, cleanup) = helpers::create_database(&url, "novec").await;
    let err = doxin_store::connect(&db_url, &doxin_store::ConnectOptions::default())
        .await
        .err()
        .expect("migrating a server without pgvector must fail");
    let msg = err.to_string();
    assert!(
        matches!(err, doxin_store::StoreError::PgvectorMissing { .. }),
        "{msg}"
    );
    assert!(msg.contains("pgvector"), "{msg}");
    cleanup.run().await;
}

/// Alerts from Alertmanager.
mod alerts_suite {
    use super::TestDb;
    use super::alerts as stories;

    conformance!(alerts_are_stored_once_per_occurrence_and_updated);
}

/// Accounts: sessions, API tokens, access codes and access requests.
mod accounts_suite {
    use super::TestDb;
    use super::accounts as stories;

    conformance!(
        sign_up_redeems_an_access_code_once,
        sessions_expire_and_end,
        api_tokens_are_found_by_hash_and_revoked_by_their_owner,
        access_codes_list_and_revoke,
        access_requests_are_decided_once,
    );
}
mod accounts;

/// Paging: estimated totals and cursors.
mod paging_suite {
    use super::TestDb;
    use super::paging as stories;

    conformance!(
        totals_are_estimated_past_the_bound,
        cursor_paging_neither_repeats_nor_skips,
        an_issue_date_range_pages_in_the_list_order,
        search_ranks_its_candidates_exactly,
    );
}
mod paging;

/// Reports: records, files, templates and facts.
mod reports_suite {
    use super::TestDb;
    use super::reports as stories;

    conformance!(
        report_records_belong_to_their_creator,
        report_facts_come_from_the_scope_and_the_invoice_json,
    );
}
