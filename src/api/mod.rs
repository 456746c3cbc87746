//! HTTP layer: routes, request/response views, extractors, middleware.

pub mod access_log;
pub mod attachments;
pub mod auth;
pub mod calendar;
pub mod communes;
pub mod compression;
pub mod conditional;
pub mod dossiers;
pub mod extract;
pub mod fees;
pub mod forms;
pub mod health;
pub mod identity;
pub mod metrics;
pub mod middleware;
pub mod multipart;
pub mod national_setup;
pub mod payments;
pub mod portal;
pub mod portal_files;
pub mod problems;
pub mod procedures;
pub mod queue;
pub mod readiness;
pub mod report_export;
pub mod reports;
pub mod results;
pub mod users;

use utoipa_actix_web::service_config::ServiceConfig;

/// Everything under `/api/v1`. Registered through utoipa-actix-web so that the routes and
/// the OpenAPI document come from one list and cannot drift apart.
pub fn configure_v1(cfg: &mut ServiceConfig) {
    cfg.service(auth::issue_token)
        .service(auth::refresh)
        .service(auth::logout)
        .service(auth::me)
        .service(identity::external_token)
        .service(identity::claim_dossier)
        .service(users::list_users)
        .service(users::create_user)
        .service(users::get_user)
        .service(users::update_user)
        .service(communes::list_provinces)
        .service(communes::get_province)
        .service(communes::list_communes)
        .service(communes::get_commune)
        .service(communes::update_commune)
        .service(national_setup::import_agency_identifiers)
        .service(national_setup::get_commune_payment_account)
        .service(national_setup::put_commune_payment_account)
        .service(national_setup::put_province_payment_account)
        .service(portal_files::fetch)
        // Catalog: the fixed paths (export, import) before /procedures/{code}.
        .service(procedures::list_procedures)
        .service(procedures::export_procedures)
        .service(procedures::import_procedures)
        .service(procedures::create_procedure)
        .service(procedures::get_procedure)
        .service(procedures::list_versions)
        .service(procedures::update_procedure)
        .service(procedures::deactivate_procedure)
        .service(procedures::list_commune_procedures)
        .service(procedures::publish_procedure)
        .service(procedures::unpublish_procedure)
        .service(calendar::holidays)
        .service(calendar::list_adjustments)
        .service(calendar::create_adjustment)
        .service(calendar::delete_adjustment)
        .service(calendar::due_date)
        .service(calendar::list_holiday_rules)
        .service(calendar::set_holiday_rule)
        .service(calendar::set_day_counting)
        .service(reports::get_commune_report)
        .service(reports::commune_dossiers)
        .service(reports::get_province_report)
        .service(reports::province_dossiers)
        .service(dossiers::create_dossier)
        .service(dossiers::list_dossiers)
        .service(dossiers::get_dossier)
        .service(dossiers::get_receipt)
        .service(forms::get_receipt_pdf)
        .service(forms::get_dossier_form)
        .service(dossiers::get_history)
        .service(dossiers::transition)
        .service(dossiers::rate)
        .service(dossiers::public_lookup)
        .service(attachments::upload)
        .service(attachments::reuse)
        .service(attachments::list)
        .service(attachments::download)
        // Fees: the fixed path (quote) before /fee-schedules/{id}.
        .service(fees::list_schedules)
        .service(fees::create_schedule)
        .service(fees::quote)
        .service(fees::get_schedule)
        .service(fees::get_fees)
        .service(fees::reassess)
        // Payments: fixed paths (callbacks, sandbox, reconcile) before /payments/{id}.
        .service(payments::create_payment)
        .service(payments::list_payments)
        .service(payments::callback)
        .service(payments::sandbox_page)
        .service(payments::sandbox_complete)
        .service(payments::reconcile)
        .service(payments::get_payment)
        .service(payments::cancel_payment)
        .service(payments::get_payment_receipt)
        .service(forms::get_payment_receipt_pdf)
        .service(payments::create_refund)
        .service(payments::list_refunds)
        .service(results::issue)
        .service(results::list)
        .service(results::get_result)
        .service(results::download)
        .service(results::history)
        .service(results::revoke)
        .service(results::supersede)
        .service(results::verify_by_token)
        .service(results::verify_by_file)
        .service(results::keys)
        .service(results::data_store)
        .service(results::attach_result)
        .service(results::dossier_digitization)
        .service(results::review)
        .service(results::commune_digitization)
        .service(results::certify)
        .service(results::list_certifications)
        .service(portal::list_outbox)
        .service(portal::requeue)
        .service(portal::status)
        .service(portal::dossier_sync)
        .service(portal::events)
        .service(portal::create_webhook)
        .service(portal::list_webhooks)
        .service(portal::delete_webhook)
        .service(portal::list_deliveries)
        // Readiness board: the province config path before /readiness/provinces/{code}.
        .service(readiness::commune_readiness)
        .service(readiness::declare_item)
        .service(readiness::review_item)
        .service(readiness::history)
        .service(readiness::get_config)
        .service(readiness::put_config)
        .service(readiness::province_readiness)
        .service(access_log::my_access_log)
        .service(access_log::search_access_log)
        // Queue (the front room): services, counters, kiosks, tickets, the display stream.
        .service(queue::list_services)
        .service(queue::put_service)
        .service(queue::list_counters)
        .service(queue::create_counter)
        .service(queue::update_counter)
        .service(queue::open_counter)
        .service(queue::close_counter)
        .service(queue::register_device)
        .service(queue::list_devices)
        .service(queue::revoke_device)
        .service(queue::tickets::issue_kiosk)
        .service(queue::tickets::issue_remote)
        .service(queue::tickets::get_ticket)
        .service(queue::tickets::ticket_status)
        .service(queue::tickets::call_next)
        .service(queue::tickets::recall)
        .service(queue::tickets::no_show)
        .service(queue::tickets::start)
        .service(queue::tickets::finish)
        .service(queue::tickets::transfer)
        .service(queue::tickets::confirm_priority)
        .service(queue::tickets::link_dossier)
        .service(queue::display::board_stream);
}

/// Probes at the root.
pub fn configure_root(cfg: &mut ServiceConfig) {
    cfg.service(health::health).service(health::ready);
}
