//! Table definitions shared by both backends (instants are BIGINT microseconds, UTC).

diesel::table! {
    units (code) {
        code -> Text,
        name -> Text,
        parent -> Nullable<Text>,
        email -> Nullable<Text>,
        head_name -> Nullable<Text>,
        head_email -> Nullable<Text>,
        active -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        name -> Text,
        role -> Text,
        unit -> Nullable<Text>,
        password_hash -> Text,
        active -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        stream -> Text,
        seq -> BigInt,
        at -> BigInt,
        actor -> Text,
        action -> Text,
        subject -> Text,
        changes -> Text,
        request_id -> Nullable<Text>,
        canonical -> Text,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    audit_heads (stream) {
        stream -> Text,
        seq -> BigInt,
        hash -> Text,
    }
}

diesel::table! {
    login_failures (id) {
        id -> BigInt,
        key -> Text,
        at -> BigInt,
    }
}

diesel::joinable!(users -> units (unit));
diesel::allow_tables_to_appear_in_same_query!(
    units,
    users,
    audit_events,
    audit_heads,
    login_failures
);
