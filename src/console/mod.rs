//! The web console: server-rendered pages for the TRC, PICs and leaders, on the same use cases
//! as the API (visibility, permissions, versions, audit and clocks are the API's). Sessions are
//! cookies (`service::sessions`), every form carries a CSRF token, every page works without
//! JavaScript; the CSS and the small script are served from the binary. Bahasa Indonesia
//! first, English per session.

mod access;
mod admin;
mod admin_view;
mod citizen;
mod clarifications;
mod dashboard;
mod evidence;
mod filing;
mod issue_page;
mod lists;
mod pages;
mod partner_page;
mod partners;
mod public;
mod session;
mod view;

use actix_web::http::header;
use actix_web::{web, HttpResponse};

/// Registers the console's routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/").route(web::get().to(pages::home)))
        .service(
            web::resource("/masuk")
                .route(web::get().to(access::login_form))
                .route(web::post().to(access::login)),
        )
        .service(
            web::resource("/sandi")
                .route(web::get().to(access::password_form))
                .route(web::post().to(access::password)),
        )
        .service(web::resource("/keluar").route(web::post().to(access::logout)))
        .service(web::resource("/bahasa").route(web::post().to(access::language)))
        .service(web::resource("/triase").route(web::get().to(lists::board)))
        .service(
            web::resource("/laporkan")
                .route(web::get().to(filing::form))
                .route(web::post().to(filing::send)),
        )
        .service(web::resource("/antrean").route(web::get().to(lists::unit_queue)))
        .service(web::resource("/eskalasi").route(web::get().to(lists::escalated)))
        .service(web::resource("/cari").route(web::get().to(lists::search)))
        .service(web::resource("/dasbor").route(web::get().to(dashboard::dashboard)))
        .service(web::resource("/dasbor.csv").route(web::get().to(dashboard::csv)))
        .service(web::resource("/isu/{ref}").route(web::get().to(issue_page::issue)))
        .service(web::resource("/isu/{ref}/aksi").route(web::post().to(issue_page::act)))
        .service(web::resource("/isu/{ref}/catatan").route(web::post().to(issue_page::note)))
        .service(web::resource("/isu/{ref}/bukti").route(web::post().to(evidence::upload)))
        .service(web::resource("/isu/{ref}/bukti/{id}").route(web::get().to(evidence::download)))
        .service(web::resource("/tautan/{ref}").route(web::get().to(issue_page::link)))
        .configure(clarification_routes)
        .service(web::resource("/admin").route(web::get().to(admin::home)))
        .service(
            web::resource("/admin/unit")
                .route(web::get().to(admin::units_list))
                .route(web::post().to(admin::unit_save)),
        )
        .service(
            web::resource("/admin/unit/{code}")
                .route(web::get().to(admin::unit_edit))
                .route(web::post().to(admin::unit_save)),
        )
        .service(
            web::resource("/admin/pengguna")
                .route(web::get().to(admin::users_list))
                .route(web::post().to(admin::user_save)),
        )
        .service(
            web::resource("/admin/pengguna/{id}")
                .route(web::get().to(admin::user_edit))
                .route(web::post().to(admin::user_save)),
        )
        .service(
            web::resource("/admin/aturan")
                .route(web::get().to(admin::rules_list))
                .route(web::post().to(admin::rule_save)),
        )
        .service(
            web::resource("/admin/aturan/{id}")
                .route(web::get().to(admin::rule_edit))
                .route(web::post().to(admin::rule_save)),
        )
        .service(
            web::resource("/admin/aturan/{id}/hapus").route(web::post().to(admin::rule_delete)),
        )
        .service(web::resource("/admin/kotak-keluar").route(web::get().to(admin::outbox)))
        .service(
            web::resource("/admin/kotak-keluar/{id}/ulang").route(web::post().to(admin::retry)),
        )
        .service(web::resource("/admin/audit").route(web::get().to(admin::audit_page)))
        .service(web::resource("/static/app.css").route(web::get().to(css)))
        .service(web::resource("/static/app.js").route(web::get().to(js)));
}

/// The clarifications' routes: the staff's pages and the public's.
fn clarification_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/isu/{ref}/klarifikasi").route(web::post().to(clarifications::propose)),
    )
    .service(web::resource("/klarifikasi-masuk").route(web::get().to(clarifications::incoming)))
    .service(web::resource("/klarifikasi-masuk/{id}").route(web::post().to(clarifications::decide)))
    .service(
        web::resource("/mitra-kerja-sama")
            .route(web::get().to(partners::partners_list))
            .route(web::post().to(partners::partner_save)),
    )
    .service(
        web::resource("/mitra-kerja-sama/laporan.csv").route(web::get().to(partners::partner_csv)),
    )
    .service(
        web::resource("/mitra-kerja-sama/{id}")
            .route(web::get().to(partners::partner_edit))
            .route(web::post().to(partners::partner_save)),
    )
    .service(web::resource("/klarifikasi").route(web::get().to(public::list)))
    .service(
        web::resource("/klarifikasi/minta")
            .route(web::get().to(citizen::form))
            .route(web::post().to(citizen::send)),
    )
    .service(web::resource("/klarifikasi/lacak").route(web::get().to(citizen::track)))
    .service(web::resource("/klarifikasi/feed.atom").route(web::get().to(public::feed)))
    .service(web::resource("/klarifikasi/{id}").route(web::get().to(public::item)))
    .service(
        web::resource("/mitra/{id}")
            .route(web::get().to(partner_page::partner))
            .route(web::post().to(partner_page::partner_post)),
    );
}

/// The console's style sheet, from the binary.
pub async fn css() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("static/app.css"))
}

/// The console's script (countdowns), from the binary.
pub async fn js() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("static/app.js"))
}
