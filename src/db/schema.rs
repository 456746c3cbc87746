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

diesel::joinable!(communes -> provinces (province_code));
diesel::joinable!(refresh_tokens -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    provinces,
    communes,
    users,
    refresh_tokens,
    login_failures
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

diesel::allow_tables_to_appear_in_same_query!(
    procedures,
    procedure_versions,
    commune_procedures,
    communes
);
