//! Table definitions shared by both backends (instants are BIGINT microseconds, UTC).
//! Long because: one `table!` per table — the whole schema in one place, as diesel reads it.

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
        token_version -> Integer,
        language -> Nullable<Text>,
    }
}

diesel::table! {
    login_known (account, address) {
        account -> Text,
        address -> Text,
        at -> BigInt,
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
        client_request_id -> Nullable<Text>,
    }
}

diesel::table! {
    audit_heads (stream) {
        stream -> Text,
        seq -> BigInt,
        hash -> Text,
        at -> BigInt,
    }
}

diesel::table! {
    login_failures (id) {
        id -> BigInt,
        key -> Text,
        at -> BigInt,
    }
}

diesel::table! {
    issue_similar (issue_id, other_id) {
        issue_id -> BigInt,
        other_id -> BigInt,
        score -> Integer,
        reasons -> Text,
    }
}

diesel::table! {
    issue_urls (url, issue_id) {
        url -> Text,
        issue_id -> BigInt,
    }
}

diesel::table! {
    issue_words (word, issue_id) {
        word -> Text,
        issue_id -> BigInt,
    }
}

diesel::table! {
    issues (id) {
        id -> BigInt,
        #[sql_name = "ref"]
        ref_ -> Text,
        title -> Text,
        description -> Text,
        category -> Text,
        channel -> Text,
        priority -> Text,
        sensitivity -> Text,
        status -> Text,
        held_from -> Nullable<Text>,
        source_urls -> Text,
        screenshot_urls -> Text,
        archive_urls -> Text,
        reach -> Nullable<BigInt>,
        posted_at -> Nullable<BigInt>,
        district -> Nullable<Text>,
        village -> Nullable<Text>,
        lat -> Nullable<Double>,
        lon -> Nullable<Double>,
        filed_by_id -> BigInt,
        filed_by -> Text,
        filing_unit -> Nullable<Text>,
        assigned_unit -> Nullable<Text>,
        proposed_unit -> Nullable<Text>,
        proposed_rule -> Nullable<Text>,
        lapor_id -> Nullable<Text>,
        tags -> Text,
        duplicate_of -> Nullable<Text>,
        escalation_level -> Integer,
        verdict -> Nullable<Text>,
        disinformation_type -> Nullable<Text>,
        clarification_text -> Nullable<Text>,
        clarification_urls -> Nullable<Text>,
        version -> BigInt,
        urgent_at -> BigInt,
        is_open -> Bool,
        search -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
        external_id -> Nullable<Text>,
        import_key -> Nullable<Text>,
        merged_count -> Integer,
        clocks -> Text,
        clocks_version -> BigInt,
        similar_text -> Text,
        similar_version -> SmallInt,
    }
}

diesel::table! {
    issue_tags (issue_id, tag) {
        issue_id -> BigInt,
        tag -> Text,
    }
}

diesel::table! {
    evidence_files (id) {
        id -> BigInt,
        issue_id -> BigInt,
        name -> Text,
        content_type -> Text,
        size -> BigInt,
        sha256 -> Text,
        data -> Binary,
        uploaded_by -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    issue_comments (id) {
        id -> BigInt,
        issue_id -> BigInt,
        kind -> Text,
        body -> Text,
        author -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    idempotency_keys (user_id, key) {
        user_id -> BigInt,
        key -> Text,
        body_hash -> Text,
        status -> Integer,
        response -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    ref_counters (year) {
        year -> Integer,
        next -> BigInt,
    }
}

diesel::table! {
    issue_clocks (id) {
        id -> BigInt,
        issue_id -> BigInt,
        kind -> Text,
        state -> Text,
        calendar -> Text,
        target -> Text,
        started_at -> BigInt,
        due_at -> BigInt,
        paused_at -> Nullable<BigInt>,
        paused_seconds -> BigInt,
        stopped_at -> Nullable<BigInt>,
        frozen_remaining -> Nullable<BigInt>,
        breached -> Bool,
        steps_fired -> Integer,
        next_event_at -> Nullable<BigInt>,
        elapsed_seconds -> Nullable<BigInt>,
    }
}

diesel::table! {
    console_sessions (id) {
        id -> Text,
        user_id -> BigInt,
        token_version -> Integer,
        csrf -> Text,
        language -> Text,
        created_at -> BigInt,
        seen_at -> BigInt,
    }
}

diesel::table! {
    calendar_digests (calendar) {
        calendar -> Text,
        hours_digest -> Text,
        holidays_digest -> Text,
        updated_at -> BigInt,
    }
}

diesel::table! {
    escalation_steps (id) {
        id -> BigInt,
        issue_id -> BigInt,
        clock_id -> BigInt,
        step -> Integer,
        recipient -> Text,
        fired_at -> BigInt,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        issue_id -> Nullable<BigInt>,
        kind -> Text,
        recipient -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        message_id -> Text,
        state -> Text,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        next_attempt_at -> BigInt,
        lease_until -> Nullable<BigInt>,
        sent_at -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    routing_rules (id) {
        id -> BigInt,
        name -> Text,
        position -> Integer,
        enabled -> Bool,
        categories -> Text,
        channels -> Text,
        districts -> Text,
        keywords -> Text,
        keyword_mode -> Text,
        unit -> Text,
        auto_assign -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    clarifications (id) {
        id -> BigInt,
        issue_id -> BigInt,
        public_id -> Nullable<Text>,
        state -> Text,
        title -> Text,
        claim -> Nullable<Text>,
        body -> Text,
        urls -> Text,
        standalone -> Bool,
        verdict -> Nullable<Text>,
        disinformation_type -> Nullable<Text>,
        category -> Nullable<Text>,
        district -> Nullable<Text>,
        unit_code -> Nullable<Text>,
        unit_name -> Nullable<Text>,
        detected_at -> BigInt,
        proposed_by -> Text,
        proposed_at -> BigInt,
        decided_by -> Nullable<Text>,
        return_reason -> Nullable<Text>,
        published_at -> Nullable<BigInt>,
        withdrawn_at -> Nullable<BigInt>,
        withdraw_reason -> Nullable<Text>,
        search -> Text,
        version -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    partners (id) {
        id -> BigInt,
        name -> Text,
        kind -> Text,
        email -> Text,
        districts -> Text,
        topics -> Text,
        agreement_number -> Nullable<Text>,
        agreement_year -> Nullable<Integer>,
        agreement_from -> Nullable<Text>,
        agreement_to -> Nullable<Text>,
        active -> Bool,
        version -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    partner_deliveries (id) {
        id -> BigInt,
        clarification_id -> BigInt,
        partner_id -> BigInt,
        queued_at -> BigInt,
        acknowledged_at -> Nullable<BigInt>,
        first_reshare_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    partner_reshares (id) {
        id -> BigInt,
        delivery_id -> BigInt,
        url -> Text,
        reach -> Nullable<BigInt>,
        reported_at -> BigInt,
    }
}

diesel::table! {
    citizen_requests (id) {
        id -> BigInt,
        code_hash -> Text,
        issue_id -> BigInt,
        address_hash -> Text,
        form_sig -> Text,
        created_at -> BigInt,
    }
}

diesel::joinable!(users -> units (unit));
diesel::joinable!(issue_tags -> issues (issue_id));
diesel::joinable!(issue_comments -> issues (issue_id));
diesel::joinable!(issue_urls -> issues (issue_id));
diesel::joinable!(issue_words -> issues (issue_id));
diesel::joinable!(evidence_files -> issues (issue_id));
diesel::joinable!(clarifications -> issues (issue_id));
diesel::joinable!(citizen_requests -> issues (issue_id));
diesel::joinable!(partner_deliveries -> clarifications (clarification_id));
diesel::joinable!(partner_deliveries -> partners (partner_id));
diesel::joinable!(partner_reshares -> partner_deliveries (delivery_id));
diesel::allow_tables_to_appear_in_same_query!(
    units,
    users,
    console_sessions,
    audit_events,
    audit_heads,
    login_failures,
    login_known,
    issues,
    issue_tags,
    issue_urls,
    issue_words,
    issue_similar,
    issue_comments,
    evidence_files,
    clarifications,
    citizen_requests,
    partners,
    partner_deliveries,
    partner_reshares,
    idempotency_keys,
    ref_counters,
    issue_clocks,
    routing_rules,
    escalation_steps,
    outbox
);
