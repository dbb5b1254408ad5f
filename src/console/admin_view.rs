//! What the administrators' pages show: the unit tree, the forms of units, users and rules as
//! typed, and the page structs askama renders.

use super::view::{local, Chrome, L};
use crate::domain::{Category, Role};
use askama::Template;

/// The units in tree order: each after its parent, children by code, with its depth.
#[derive(Debug, Clone, Default)]
pub struct Tree(pub Vec<(usize, crate::service::units::Unit)>);

impl Tree {
    /// Roots are the units without a parent (or whose parent is not among `all`); a cycle,
    /// which the use case refuses, could not loop here: each unit is placed once.
    pub fn of(all: &[crate::service::units::Unit]) -> Tree {
        use std::collections::{BTreeMap, BTreeSet};
        let codes: BTreeSet<&str> = all.iter().map(|u| u.code.as_str()).collect();
        let mut children: BTreeMap<Option<&str>, Vec<&crate::service::units::Unit>> =
            BTreeMap::new();
        for u in all {
            let parent = u.parent.as_deref().filter(|p| codes.contains(p));
            children.entry(parent).or_default().push(u);
        }
        let mut out = Vec::with_capacity(all.len());
        let mut placed = BTreeSet::new();
        let mut stack: Vec<(usize, &crate::service::units::Unit)> = children
            .get(&None)
            .map(|v| v.iter().rev().map(|u| (0, *u)).collect())
            .unwrap_or_default();
        while let Some((depth, u)) = stack.pop() {
            if !placed.insert(u.code.as_str()) {
                continue;
            }
            out.push((depth, u.clone()));
            if let Some(kids) = children.get(&Some(u.code.as_str())) {
                stack.extend(kids.iter().rev().map(|k| (depth + 1, *k)));
            }
        }
        // Units on a cycle have no root above them: shown last, flat, so none is hidden.
        for u in all {
            if !placed.contains(u.code.as_str()) {
                out.push((0, u.clone()));
            }
        }
        Tree(out)
    }
}

/// A unit's form as typed.
#[derive(Debug, Clone, Default)]
pub struct UnitForm {
    pub code: String,
    pub name: String,
    pub parent: String,
    pub email: String,
    pub head_name: String,
    pub head_email: String,
    pub active: bool,
}

impl UnitForm {
    pub fn new() -> UnitForm {
        UnitForm {
            active: true,
            ..UnitForm::default()
        }
    }

    pub fn of(u: &crate::service::units::Unit) -> UnitForm {
        UnitForm {
            code: u.code.clone(),
            name: u.name.clone(),
            parent: u.parent.clone().unwrap_or_default(),
            email: u.email.clone().unwrap_or_default(),
            head_name: u.head_name.clone().unwrap_or_default(),
            head_email: u.head_email.clone().unwrap_or_default(),
            active: u.active,
        }
    }
}

#[derive(Template)]
#[template(path = "console/admin_units.html")]
pub struct UnitsPage<'a> {
    pub c: &'a Chrome,
    pub tree: &'a Tree,
    pub units: &'a [crate::service::units::Unit],
    pub f: &'a UnitForm,
    /// The unit being changed; `None`: the form makes a new one.
    pub editing: Option<&'a str>,
}

impl UnitsPage<'_> {
    /// Indentation class of a depth (the style sheet knows six levels).
    #[allow(
        clippy::unused_self,
        clippy::trivially_copy_pass_by_ref,
        reason = "a method, so that the template can call it with its loop's references"
    )]
    pub fn depth(&self, d: &usize) -> usize {
        (*d).min(6)
    }
}

/// A user's form as typed (the password is never shown again).
#[derive(Debug, Clone, Default)]
pub struct UserForm {
    pub email: String,
    pub name: String,
    pub role: String,
    pub unit: String,
    pub active: bool,
}

impl UserForm {
    pub fn new() -> UserForm {
        UserForm {
            role: "pic".into(),
            active: true,
            ..UserForm::default()
        }
    }

    pub fn of(u: &crate::service::users::User) -> UserForm {
        UserForm {
            email: u.email.clone(),
            name: u.name.clone(),
            role: u.role.as_str().to_owned(),
            unit: u.unit.clone().unwrap_or_default(),
            active: u.active,
        }
    }
}

#[derive(Template)]
#[template(path = "console/admin_users.html")]
pub struct UsersPage<'a> {
    pub c: &'a Chrome,
    pub users: &'a [crate::service::users::User],
    pub units: &'a [crate::service::units::Unit],
    pub roles: &'static [Role],
    pub f: &'a UserForm,
    pub editing: Option<i64>,
}

impl UsersPage<'_> {
    /// A role as people read it.
    #[allow(
        clippy::trivially_copy_pass_by_ref,
        reason = "the template passes its loop's references"
    )]
    pub fn role_name(&self, r: &Role) -> &'static str {
        role_name(*r, self.c.l)
    }
}

/// A role as people read it.
pub fn role_name(r: Role, l: L) -> &'static str {
    match r {
        Role::Admin => l.t("Administrator", "Administrator"),
        Role::Trc => l.t("TRC", "TRC"),
        Role::Pic => l.t("PIC unit", "Unit PIC"),
        Role::Leader => l.t("Pimpinan", "Leader"),
    }
}

/// A routing rule's form as typed.
#[derive(Debug, Clone, Default)]
pub struct RuleForm {
    pub name: String,
    pub position: String,
    pub enabled: bool,
    pub categories: Vec<String>,
    pub channels: Vec<String>,
    /// Districts, comma-separated.
    pub districts: String,
    /// Keywords or phrases, comma-separated.
    pub keywords: String,
    pub keyword_mode: String,
    pub unit: String,
    pub auto_assign: bool,
}

impl RuleForm {
    pub fn new() -> RuleForm {
        RuleForm {
            enabled: true,
            keyword_mode: "any".into(),
            ..RuleForm::default()
        }
    }

    pub fn of(r: &crate::service::rules::RoutingRule) -> RuleForm {
        RuleForm {
            name: r.name.clone(),
            position: r.position.to_string(),
            enabled: r.enabled,
            categories: r.conditions.categories.clone(),
            channels: r.conditions.channels.clone(),
            districts: r.conditions.districts.join(", "),
            keywords: r.conditions.keywords.join(", "),
            keyword_mode: match r.conditions.keyword_mode {
                crate::domain::routing::KeywordMode::All => "all".into(),
                crate::domain::routing::KeywordMode::Any => "any".into(),
            },
            unit: r.unit.clone(),
            auto_assign: r.auto_assign,
        }
    }
}

#[derive(Template)]
#[template(path = "console/admin_rules.html")]
pub struct RulesPage<'a> {
    pub c: &'a Chrome,
    pub rules: &'a [crate::service::rules::RoutingRule],
    pub units: &'a [crate::service::units::Unit],
    pub f: &'a RuleForm,
    pub editing: Option<i64>,
    pub categories: &'static [Category],
    pub channels: &'static [crate::domain::Channel],
    /// The preview's draft as typed: title, description, category, channel, district.
    pub draft: &'a [String; 5],
    pub preview: Option<&'a Result<crate::service::rules::Preview, String>>,
}

impl RulesPage<'_> {
    /// A rule's conditions in one line: `category: banjir · keywords (any): jalan rusak`.
    #[allow(
        clippy::unused_self,
        reason = "a method, so that the template can call it"
    )]
    pub fn summary(&self, c: &crate::service::rules::Conditions) -> String {
        let mut parts = Vec::new();
        let l = self.c.l;
        let mut add = |name: &str, v: &[String]| {
            if !v.is_empty() {
                parts.push(format!("{name}: {}", v.join(", ")));
            }
        };
        add(l.t("kategori", "category"), &c.categories);
        add(l.t("kanal", "channel"), &c.channels);
        add(l.t("kecamatan", "district"), &c.districts);
        let mode = match c.keyword_mode {
            crate::domain::routing::KeywordMode::All => l.t("kata kunci (semua)", "keywords (all)"),
            crate::domain::routing::KeywordMode::Any => {
                l.t("kata kunci (salah satu)", "keywords (any)")
            }
        };
        add(mode, &c.keywords);
        if parts.is_empty() {
            l.t("semua isu", "every issue").to_owned()
        } else {
            parts.join(" · ")
        }
    }

    /// A rule's outcome in the preview as people read it.
    pub fn outcome(&self, o: &str) -> &'static str {
        let l = self.c.l;
        match o {
            "matched" => l.t("cocok", "matched"),
            "disabled" => l.t("nonaktif", "disabled"),
            _ => l.t("tidak cocok", "did not match"),
        }
    }

    /// Whether `v` is among the form's `list`.
    #[allow(
        clippy::unused_self,
        reason = "a method, so that the template can call it"
    )]
    pub fn has(&self, list: &[String], v: &str) -> bool {
        list.iter().any(|x| x == v)
    }
}

#[derive(Template)]
#[template(path = "console/admin_outbox.html")]
pub struct OutboxPage<'a> {
    pub c: &'a Chrome,
    pub items: &'a [crate::service::notifications::Notification],
    pub status: &'a str,
    pub states: &'static [&'static str],
    /// The next page's address, when there is more.
    pub next: Option<&'a str>,
    pub zone: &'a jiff::tz::TimeZone,
}

impl OutboxPage<'_> {
    pub fn local(&self, at: &str) -> String {
        local(self.zone, at, self.c.l)
    }

    /// A state as people read it.
    pub fn state_name(&self, s: &str) -> &'static str {
        let l = self.c.l;
        match s {
            "pending" => l.t("menunggu", "pending"),
            "sending" => l.t("sedang dikirim", "sending"),
            "sent" => l.t("terkirim", "sent"),
            _ => l.t("gagal (surat mati)", "dead letters"),
        }
    }
}

#[derive(Template)]
#[template(path = "console/admin_audit.html")]
pub struct AuditPage<'a> {
    pub c: &'a Chrome,
    pub report: Option<&'a crate::service::audit::VerifyReport>,
}
