// Portable diesel schema shared by both backends (only types MultiBackend supports).

diesel::table! {
    provinces (code) {
        code -> Text,
        name -> Text,
        full_name -> Text,
        name_en -> Text,
        unit_type -> Text,
        formed_from -> Text,
        search_key -> Text,
    }
}

diesel::table! {
    communes (code) {
        code -> Text,
        name -> Text,
        full_name -> Text,
        name_en -> Text,
        unit_type -> Text,
        province_code -> Text,
        formed_from -> Text,
        predecessors -> Text,
        search_key -> Text,
        lineage_key -> Text,
        agency_code -> Nullable<Text>,
        address -> Nullable<Text>,
        phone -> Nullable<Text>,
        email -> Nullable<Text>,
        opening_hours -> Nullable<Text>,
        version -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        full_name -> Text,
        search_key -> Text,
        password_hash -> Text,
        role -> Text,
        commune_code -> Nullable<Text>,
        province_code -> Nullable<Text>,
        personal_id -> Nullable<Text>,
        active -> Bool,
        session_epoch -> BigInt,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        personal_id_source -> Nullable<Text>,
        personal_id_verified_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        user_id -> Text,
        family_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_failures (id) {
        id -> Text,
        throttle_key -> Text,
        failed_at -> Timestamp,
    }
}

diesel::table! {
    dossiers (id) {
        id -> Text,
        code -> Text,
        commune_code -> Text,
        province_code -> Text,
        procedure_id -> Text,
        procedure_code -> Text,
        procedure_version_id -> Text,
        case_code -> Text,
        channel -> Text,
        status -> Text,
        applicant_type -> Text,
        applicant_name -> Text,
        applicant_id_number -> Text,
        applicant_contact -> Text,
        search_key -> Text,
        summary -> Text,
        owner_user_id -> Nullable<Text>,
        assignee_id -> Nullable<Text>,
        submitted_at -> Timestamp,
        received_at -> Nullable<Timestamp>,
        due_at -> Nullable<Timestamp>,
        paused_at -> Nullable<Timestamp>,
        paused_minutes -> BigInt,
        finished_at -> Nullable<Timestamp>,
        supplement_requests -> Integer,
        extensions -> Integer,
        lifecycle -> Text,
        lookup_pin -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        portal_reference -> Nullable<Text>,
    }
}

diesel::table! {
    dossier_counters (commune_code, day) {
        commune_code -> Text,
        day -> Date,
        last_seq -> BigInt,
    }
}

diesel::table! {
    dossier_events (id) {
        id -> BigInt,
        dossier_id -> Text,
        action -> Text,
        actor_id -> Text,
        actor_role -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        comment -> Nullable<Text>,
        data -> Text,
        created_at -> Timestamp,
        txid -> BigInt,
    }
}

diesel::table! {
    stored_files (sha256) {
        sha256 -> Text,
        size_bytes -> BigInt,
        content_type -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    dossier_attachments (id) {
        id -> Text,
        dossier_id -> Text,
        document_name -> Text,
        file_sha256 -> Text,
        file_name -> Text,
        source -> Text,
        reused_from -> Nullable<Text>,
        digitized_at_reception -> Bool,
        uploaded_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (scope) {
        scope -> Text,
        request_hash -> Text,
        status_code -> Integer,
        response_body -> Text,
        resource_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    dossier_ratings (dossier_id) {
        dossier_id -> Text,
        rating -> Text,
        comment -> Nullable<Text>,
        recorded_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    calendar_adjustments (day) {
        day -> Date,
        kind -> Text,
        name -> Text,
        legal_basis -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

// ---- Legal counting (migration 2025-07-01-000016_legal_counting) ----

diesel::table! {
    province_day_counting (province_code) {
        province_code -> Text,
        counting -> Text,
        legal_basis -> Text,
        changed_by -> Text,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    holiday_rule_settings (rule_id) {
        rule_id -> Text,
        enabled -> Bool,
        reason -> Text,
        changed_by -> Text,
        changed_at -> Timestamp,
    }
}

diesel::joinable!(communes -> provinces (province_code));
diesel::joinable!(dossier_events -> dossiers (dossier_id));
diesel::joinable!(dossier_attachments -> dossiers (dossier_id));
diesel::joinable!(refresh_tokens -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    provinces,
    communes,
    users,
    refresh_tokens,
    login_failures,
    dossiers,
    dossier_counters,
    dossier_events,
    stored_files,
    dossier_attachments,
    idempotency_keys,
    dossier_ratings,
    calendar_adjustments,
    procedures,
    procedure_versions,
    commune_procedures,
);

// ---- Procedure catalog (migration 2025-07-01-000002_catalog) ----

diesel::table! {
    procedures (id) {
        id -> Text,
        code -> Text,
        active -> Bool,
        current_version_no -> BigInt,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    procedure_versions (id) {
        id -> Text,
        procedure_id -> Text,
        version_no -> BigInt,
        effective_from -> Date,
        effective_to -> Nullable<Date>,
        name -> Text,
        field -> Text,
        implementing_level -> Text,
        legal_basis -> Text,
        result_type -> Text,
        cases -> Text,
        search_key -> Text,
        field_key -> Text,
        online_levels -> Text,
        created_at -> Timestamp,
        created_by -> Nullable<Text>,
    }
}

diesel::table! {
    commune_procedures (commune_code, procedure_id) {
        commune_code -> Text,
        procedure_id -> Text,
        published_at -> Timestamp,
        published_by -> Nullable<Text>,
    }
}

diesel::joinable!(procedure_versions -> procedures (procedure_id));
diesel::joinable!(commune_procedures -> procedures (procedure_id));
diesel::joinable!(commune_procedures -> communes (commune_code));

diesel::table! {
    fee_schedules (id) {
        id -> Text,
        schedule_key -> Text,
        version_no -> BigInt,
        procedure_code -> Text,
        case_code -> Nullable<Text>,
        fee_code -> Text,
        kind -> Text,
        name -> Text,
        collection -> Text,
        rule -> Text,
        online_rule -> Nullable<Text>,
        exemptions -> Text,
        scope -> Text,
        scope_code -> Nullable<Text>,
        effective_from -> Date,
        effective_to -> Nullable<Date>,
        legal_basis -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    fee_assessments (dossier_id) {
        dossier_id -> Text,
        channel -> Text,
        quantities -> Text,
        exemption -> Nullable<Text>,
        total -> BigInt,
        version -> BigInt,
        assessed_by -> Text,
        assessed_at -> Timestamp,
    }
}

diesel::table! {
    dossier_fees (id) {
        id -> Text,
        dossier_id -> Text,
        line_no -> Integer,
        schedule_id -> Text,
        fee_code -> Text,
        kind -> Text,
        name -> Text,
        collection -> Text,
        base_amount -> BigInt,
        exemption -> Nullable<Text>,
        amount -> BigInt,
        explanation -> Text,
        status -> Text,
        payment_id -> Nullable<Text>,
    }
}

diesel::table! {
    payments (id) {
        id -> Text,
        reference -> Text,
        dossier_id -> Text,
        commune_code -> Text,
        province_code -> Text,
        method -> Text,
        gateway -> Nullable<Text>,
        amount -> BigInt,
        refunded_amount -> BigInt,
        status -> Text,
        fee_lines -> Text,
        payer_name -> Text,
        redirect_url -> Nullable<Text>,
        gateway_transaction_id -> Nullable<Text>,
        failure_reason -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        settled_at -> Nullable<Timestamp>,
        receipt_template -> Nullable<Text>,
        receipt_series -> Nullable<Text>,
        receipt_no -> Nullable<BigInt>,
        version -> BigInt,
    }
}

diesel::table! {
    receipt_counters (commune_code, series) {
        commune_code -> Text,
        series -> Text,
        last_no -> BigInt,
    }
}

diesel::table! {
    payment_refunds (id) {
        id -> Text,
        payment_id -> Text,
        amount -> BigInt,
        method -> Text,
        reason -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    payment_callbacks (id) {
        id -> BigInt,
        gateway -> Text,
        reference -> Nullable<Text>,
        payment_id -> Nullable<Text>,
        outcome -> Text,
        http_status -> Integer,
        body -> Text,
        client_ip -> Nullable<Text>,
        received_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    dossiers,
    fee_schedules,
    fee_assessments,
    dossier_fees,
    payments,
    payment_refunds,
    payment_callbacks,
);

diesel::table! {
    portal_outbox (id) {
        id -> BigInt,
        dossier_id -> Text,
        event_id -> BigInt,
        service -> Text,
        idempotency_ref -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_by -> Nullable<Text>,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_subscriptions (id) {
        id -> Text,
        commune_code -> Nullable<Text>,
        url -> Text,
        secret -> Text,
        event_types -> Text,
        active -> Bool,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        subscription_id -> Text,
        event_id -> BigInt,
        event_type -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_status_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    dossiers,
    portal_outbox,
    webhook_subscriptions,
    webhook_deliveries,
);

diesel::joinable!(webhook_deliveries -> webhook_subscriptions (subscription_id));
diesel::joinable!(portal_outbox -> dossiers (dossier_id));

diesel::table! {
    digital_results (id) {
        id -> Text,
        kind -> Text,
        dossier_id -> Nullable<Text>,
        commune_code -> Text,
        province_code -> Text,
        owner_id_number -> Text,
        owner_name -> Text,
        owner_user_id -> Nullable<Text>,
        document_type -> Text,
        number_symbol -> Text,
        summary -> Text,
        signer_name -> Text,
        signer_title -> Text,
        issuing_agency -> Text,
        issued_on -> Date,
        valid_from -> Date,
        valid_until -> Nullable<Date>,
        scope -> Text,
        file_sha256 -> Text,
        signature -> Text,
        seal_kid -> Text,
        seal_token -> Text,
        status -> Text,
        revoked_at -> Nullable<Timestamp>,
        revoked_reason -> Nullable<Text>,
        supersedes -> Nullable<Text>,
        superseded_by -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    digital_result_events (id) {
        id -> BigInt,
        result_id -> Text,
        action -> Text,
        actor_id -> Text,
        actor_role -> Text,
        reason -> Nullable<Text>,
        data -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    digitization_records (id) {
        id -> Text,
        attachment_id -> Text,
        dossier_id -> Text,
        commune_code -> Text,
        status -> Text,
        reason -> Nullable<Text>,
        digitized_by -> Text,
        digitized_at -> Timestamp,
        reviewed_by -> Nullable<Text>,
        reviewed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    certification_counters (commune_code, year) {
        commune_code -> Text,
        year -> Integer,
        last_no -> BigInt,
    }
}

diesel::table! {
    certifications (id) {
        id -> Text,
        commune_code -> Text,
        year -> Integer,
        book_no -> BigInt,
        certification_text -> Text,
        pages -> Integer,
        copies -> Integer,
        result_id -> Text,
        officer_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(certifications -> digital_results (result_id));
diesel::allow_tables_to_appear_in_same_query!(
    digital_results,
    digital_result_events,
    digitization_records,
    certifications,
);
diesel::allow_tables_to_appear_in_same_query!(dossiers, digital_results);
diesel::allow_tables_to_appear_in_same_query!(dossiers, digitization_records);
diesel::allow_tables_to_appear_in_same_query!(dossier_attachments, digitization_records);

// ---- Indicators (migration 2025-07-01-000009_indicators) ----
// The counter columns `online_counted` and `paper_result` (migration
// 2025-07-01-000016_legal_counting) exist in dossier_facts, indicator_daily and
// indicator_monthly but are not declared here: diesel's `table!` takes at most 32 columns
// without the 64-column feature, and these tables are only read and written through
// `sql_query` by column name (`Counters::NAMES`, src/db/models/indicator.rs).

diesel::table! {
    dossier_facts (dossier_id) {
        dossier_id -> Text,
        commune_code -> Text,
        province_code -> Text,
        day -> Date,
        procedure_code -> Text,
        channel -> Text,
        received -> BigInt,
        refused -> BigInt,
        awaiting_intake -> BigInt,
        online -> BigInt,
        post -> BigInt,
        in_progress -> BigInt,
        finished_on_time -> BigInt,
        finished_late -> BigInt,
        resolved -> BigInt,
        stopped -> BigInt,
        withdrawn -> BigInt,
        supplement_requested -> BigInt,
        supplement_repeated -> BigInt,
        extended -> BigInt,
        components -> BigInt,
        components_digitized -> BigInt,
        components_reused -> BigInt,
        dossiers_digitized -> BigInt,
        data_reused -> BigInt,
        results_digitized -> BigInt,
        fee_bearing -> BigInt,
        paid_online -> BigInt,
        synced -> BigInt,
        rated -> BigInt,
        satisfied -> BigInt,
        dissatisfied -> BigInt,
    }
}

diesel::table! {
    indicator_daily (commune_code, day) {
        commune_code -> Text,
        day -> Date,
        province_code -> Text,
        received -> BigInt,
        refused -> BigInt,
        awaiting_intake -> BigInt,
        online -> BigInt,
        post -> BigInt,
        in_progress -> BigInt,
        finished_on_time -> BigInt,
        finished_late -> BigInt,
        resolved -> BigInt,
        stopped -> BigInt,
        withdrawn -> BigInt,
        supplement_requested -> BigInt,
        supplement_repeated -> BigInt,
        extended -> BigInt,
        components -> BigInt,
        components_digitized -> BigInt,
        components_reused -> BigInt,
        dossiers_digitized -> BigInt,
        data_reused -> BigInt,
        results_digitized -> BigInt,
        fee_bearing -> BigInt,
        paid_online -> BigInt,
        synced -> BigInt,
        rated -> BigInt,
        satisfied -> BigInt,
        dissatisfied -> BigInt,
    }
}

diesel::table! {
    indicator_monthly (commune_code, month) {
        commune_code -> Text,
        month -> Date,
        province_code -> Text,
        received -> BigInt,
        refused -> BigInt,
        awaiting_intake -> BigInt,
        online -> BigInt,
        post -> BigInt,
        in_progress -> BigInt,
        finished_on_time -> BigInt,
        finished_late -> BigInt,
        resolved -> BigInt,
        stopped -> BigInt,
        withdrawn -> BigInt,
        supplement_requested -> BigInt,
        supplement_repeated -> BigInt,
        extended -> BigInt,
        components -> BigInt,
        components_digitized -> BigInt,
        components_reused -> BigInt,
        dossiers_digitized -> BigInt,
        data_reused -> BigInt,
        results_digitized -> BigInt,
        fee_bearing -> BigInt,
        paid_online -> BigInt,
        synced -> BigInt,
        rated -> BigInt,
        satisfied -> BigInt,
        dissatisfied -> BigInt,
    }
}

diesel::joinable!(dossier_facts -> dossiers (dossier_id));
diesel::allow_tables_to_appear_in_same_query!(dossier_facts, dossiers);

// ---- Readiness board (migration 2025-07-01-000010_readiness) ----

diesel::table! {
    readiness_province_configs (province_code) {
        province_code -> Text,
        config -> Text,
        version -> BigInt,
        updated_by -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    readiness_items (commune_code, item_code) {
        commune_code -> Text,
        item_code -> Text,
        status -> Text,
        evidence -> Text,
        evidence_date -> Date,
        updated_by -> Text,
        updated_at -> Timestamp,
        review_status -> Text,
        review_note -> Nullable<Text>,
        reviewed_by -> Nullable<Text>,
        reviewed_at -> Nullable<Timestamp>,
        version -> BigInt,
    }
}

diesel::table! {
    readiness_events (id) {
        id -> BigInt,
        commune_code -> Text,
        item_code -> Text,
        action -> Text,
        status -> Text,
        evidence -> Text,
        evidence_date -> Date,
        review_status -> Text,
        note -> Nullable<Text>,
        item_version -> BigInt,
        actor_id -> Text,
        actor_role -> Text,
        created_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    communes,
    readiness_province_configs,
    readiness_items,
    readiness_events,
);

// ---- Identity (migration 2025-07-01-000011_identity) ----

diesel::table! {
    external_identities (issuer, subject) {
        issuer -> Text,
        subject -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        last_login_at -> Timestamp,
    }
}

diesel::table! {
    identity_events (id) {
        id -> Text,
        user_id -> Text,
        action -> Text,
        actor_id -> Text,
        actor_role -> Text,
        dossier_id -> Nullable<Text>,
        detail -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(external_identities -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(external_identities, users);
diesel::allow_tables_to_appear_in_same_query!(identity_events, users);

diesel::table! {
    access_log (id) {
        id -> Text,
        commune_code -> Text,
        seq -> BigInt,
        province_code -> Text,
        at -> Timestamp,
        actor_id -> Text,
        actor_role -> Text,
        actor_commune_code -> Nullable<Text>,
        actor_province_code -> Nullable<Text>,
        record_kind -> Text,
        record_id -> Text,
        record_ref -> Text,
        operation -> Text,
        route -> Text,
        request_id -> Text,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    access_log_heads (commune_code) {
        commune_code -> Text,
        last_seq -> BigInt,
        last_hash -> Text,
        updated_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(access_log, dossiers);
diesel::allow_tables_to_appear_in_same_query!(access_log, digital_results);

// ---- National messages (migration 2025-07-01-000015_national_messages) ----

diesel::table! {
    payment_beneficiaries (scope_code) {
        scope_code -> Text,
        scope -> Text,
        account_name -> Text,
        account_no -> Text,
        bank_code -> Text,
        updated_by -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    payment_platform_receipts (payment_id) {
        payment_id -> Text,
        content -> Binary,
        sha256 -> Text,
        fetched_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(payments, payment_platform_receipts);

// ---- Queue: counters, kiosks, tickets, display events (migration 2025-07-01-000019_queue) ----

diesel::table! {
    queue_services (commune_code, prefix) {
        commune_code -> Text,
        prefix -> Text,
        name -> Text,
        fields -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    queue_counters (id) {
        id -> Text,
        commune_code -> Text,
        number -> Integer,
        name -> Text,
        services -> Text,
        is_open -> Bool,
        officer_id -> Nullable<Text>,
        priority_streak -> Integer,
        opened_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    queue_devices (id) {
        id -> Text,
        commune_code -> Text,
        name -> Text,
        key_hash -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    queue_number_counters (commune_code, day, prefix) {
        commune_code -> Text,
        day -> Date,
        prefix -> Text,
        last_seq -> BigInt,
    }
}

diesel::table! {
    queue_tickets (id) {
        id -> Text,
        commune_code -> Text,
        day -> Date,
        service -> Text,
        seq -> BigInt,
        number -> Text,
        source -> Text,
        device_id -> Nullable<Text>,
        citizen_id -> Nullable<Text>,
        priority_class -> Nullable<Text>,
        priority_confirmed -> Nullable<Bool>,
        status -> Text,
        counter_id -> Nullable<Text>,
        target_counter_id -> Nullable<Text>,
        recalls -> Integer,
        dossier_id -> Nullable<Text>,
        issued_at -> Timestamp,
        called_at -> Nullable<Timestamp>,
        started_at -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    queue_events (id) {
        id -> BigInt,
        commune_code -> Text,
        kind -> Text,
        data -> Text,
        created_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    queue_services,
    queue_counters,
    queue_devices,
    queue_tickets,
    queue_events,
);
