//! A partner's page behind its personal signed link (no account): the clarification, "received",
//! and where it was republished. The link's signature is the forms' credential.

use super::pages::{error_page, page};
use super::public::{when, Shown};
use crate::runtime::AppState;
use crate::service::partner_links::{self, PartnerLink, PartnerPage, PartnerStep};
use crate::service::Actor;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "console/partner.html")]
struct PartnerView<'a> {
    title: &'a str,
    p: &'a PartnerPage,
    s: Shown,
    link: &'a PartnerLink,
    acknowledged: Option<String>,
    notice: Option<(String, bool)>,
}

#[derive(Debug, serde::Deserialize)]
pub struct PartnerForm {
    p: Option<String>,
    s: Option<String>,
    t: Option<String>,
    langkah: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    jangkauan: Option<String>,
}

fn render_partner(
    state: &AppState,
    p: &PartnerPage,
    link: &PartnerLink,
    notice: Option<(String, bool)>,
    status: StatusCode,
) -> HttpResponse {
    let zone = &state.cfg.sla.zone;
    let view = PartnerView {
        title: "Klarifikasi untuk mitra",
        p,
        s: Shown::of(zone, p.clarification.clone()),
        link,
        acknowledged: p.acknowledged_at.map(|a| when(zone, a)),
        notice,
    };
    page(status, view.render())
}

/// `/mitra/{id}` (GET): a partner's page of a clarification, through its signed link.
pub async fn partner(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    q: web::Query<PartnerLink>,
) -> HttpResponse {
    let id = path.into_inner();
    let link = q.into_inner();
    let ctx = state.ctx(&req, Actor::System);
    let l2 = link.clone();
    let opened = state
        .db(move |conn| partner_links::step(conn, &ctx, &id, &l2, PartnerStep::Open))
        .await;
    match opened {
        Ok(p) => render_partner(&state, &p, &link, None, StatusCode::OK),
        Err(e) => error_page(&req, None, &e),
    }
}

/// What was wrong with a partner's form, in Bahasa Indonesia.
fn in_words(e: &crate::error::AppError) -> String {
    let crate::error::AppError::Invalid(fields) = e else {
        return super::pages::message(e);
    };
    fields
        .iter()
        .map(|f| {
            if f.field.starts_with("url") {
                "Alamat (URL) harus diawali http:// atau https://"
            } else if f.field == "reach" {
                "Jangkauan harus bilangan bulat dari 0 sampai 1.000.000.000"
            } else {
                "Isian tidak valid"
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `/mitra/{id}` (POST): "received", or where it was republished. The link's signature is
/// the form's credential (a forged form lacks it); both steps may be repeated harmlessly.
pub async fn partner_post(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<PartnerForm>,
) -> HttpResponse {
    let id = path.into_inner();
    let f = form.into_inner();
    let link = PartnerLink {
        p: f.p,
        s: f.s,
        t: f.t,
    };
    let (step, done) = match f.langkah.as_str() {
        "terima" => (
            PartnerStep::Acknowledge,
            "Terima kasih: penerimaan dicatat.",
        ),
        "sebar" => (
            PartnerStep::Reshare {
                url: f.url,
                reach: f.jangkauan,
            },
            "Terima kasih: penyebaran dicatat.",
        ),
        _ => {
            return error_page(
                &req,
                None,
                &crate::error::AppError::invalid("langkah", "must be terima or sebar"),
            )
        }
    };
    let ctx = state.ctx(&req, Actor::System);
    let (l2, id2) = (link.clone(), id.clone());
    let r = state
        .db(move |conn| partner_links::step(conn, &ctx, &id2, &l2, step))
        .await;
    match r {
        Ok(p) => render_partner(
            &state,
            &p,
            &link,
            Some((done.into(), false)),
            StatusCode::OK,
        ),
        Err(e @ crate::error::AppError::Invalid(_)) => {
            // Show the page again with what was wrong.
            let ctx = state.ctx(&req, Actor::System);
            let l3 = link.clone();
            let again = state
                .db(move |conn| partner_links::step(conn, &ctx, &id, &l3, PartnerStep::Open))
                .await;
            match again {
                Ok(p) => render_partner(
                    &state,
                    &p,
                    &link,
                    Some((in_words(&e), true)),
                    StatusCode::UNPROCESSABLE_ENTITY,
                ),
                Err(e2) => error_page(&req, None, &e2),
            }
        }
        Err(e) => error_page(&req, None, &e),
    }
}
