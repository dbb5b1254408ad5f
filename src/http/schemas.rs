//! How the API describes the domain's types. The domain knows nothing of OpenAPI (it derives
//! no `ToSchema`); its closed vocabularies are described here from their own names
//! (`ALL`, `as_str`, `DESCRIPTION`), so a new variant shows up in the document by itself.

use crate::domain::clock::ClockState;
use crate::domain::enums::{
    Category, Channel, ClockKind, DisinformationType, Priority, ReportGroup, Sensitivity, Verdict,
};
use crate::domain::routing::{Check, KeywordMode, RuleRef, RuleTrace};
use crate::domain::{Action, Role, Status};
use std::borrow::Cow;
use utoipa::openapi::schema::{
    ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type,
};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

fn string_enum(description: &str, values: impl IntoIterator<Item = &'static str>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description.trim()))
        .enum_values(Some(values))
        .into()
}

/// The domain's `text_enum!` types.
macro_rules! text_enum_schemas {
    ($($ty:ident),+ $(,)?) => {$(
        impl PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                string_enum($ty::DESCRIPTION, $ty::ALL.iter().map(|v| v.as_str()))
            }
        }
        impl ToSchema for $ty {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($ty))
            }
        }
    )+};
}

text_enum_schemas!(
    Category,
    Channel,
    Priority,
    Verdict,
    DisinformationType,
    Sensitivity,
    ClockKind,
    ClockState,
    Status,
    Action,
    ReportGroup
);

impl PartialSchema for Role {
    fn schema() -> RefOr<Schema> {
        string_enum("What a user may do.", Role::ALL.iter().map(|r| r.as_str()))
    }
}
impl ToSchema for Role {}

impl PartialSchema for KeywordMode {
    fn schema() -> RefOr<Schema> {
        string_enum("How a rule's keywords combine.", ["any", "all"])
    }
}
impl ToSchema for KeywordMode {}

impl PartialSchema for Check {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .description(Some("One condition of one rule, checked."))
            .property("condition", ObjectBuilder::new().schema_type(Type::String))
            .required("condition")
            .property("passed", ObjectBuilder::new().schema_type(Type::Boolean))
            .required("passed")
            .property("detail", ObjectBuilder::new().schema_type(Type::String))
            .required("detail")
            .into()
    }
}
impl ToSchema for Check {}

impl PartialSchema for RuleRef {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .description(Some("A rule's id and name."))
            .property(
                "id",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64))),
            )
            .required("id")
            .property("name", ObjectBuilder::new().schema_type(Type::String))
            .required("name")
            .into()
    }
}
impl ToSchema for RuleRef {}

impl PartialSchema for RuleTrace {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .description(Some("One rule, checked in order."))
            .property("rule", Ref::from_schema_name("RuleRef"))
            .required("rule")
            .property(
                "outcome",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some("`matched`, `failed` or `disabled`.")),
            )
            .required("outcome")
            .property(
                "checks",
                ArrayBuilder::new().items(Ref::from_schema_name("Check")),
            )
            .required("checks")
            .into()
    }
}
impl ToSchema for RuleTrace {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((RuleRef::name().into_owned(), RuleRef::schema()));
        schemas.push((Check::name().into_owned(), Check::schema()));
    }
}
