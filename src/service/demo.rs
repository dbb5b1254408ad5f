//! Demo data for a new database (profile `default`): the units of a kabupaten and one user per
//! role, all with the password `tanggap-demo`.

use super::{units, users, Ctx};
use crate::error::AppResult;
use crate::store::{self, Db};

/// The password of every demo user; printed with a warning at start-up.
pub const DEMO_PASSWORD: &str = "tanggap-demo";

/// (code, name, parent, inbox, head name)
const UNITS: &[(&str, &str, Option<&str>, &str, &str)] = &[
    (
        "DISKOMINFO",
        "Dinas Komunikasi dan Informatika",
        None,
        "diskominfo",
        "Kepala Diskominfo",
    ),
    (
        "DINKES",
        "Dinas Kesehatan",
        None,
        "dinkes",
        "Kepala Dinas Kesehatan",
    ),
    (
        "PUSKESMAS_KOTABARU",
        "Puskesmas Kotabaru",
        Some("DINKES"),
        "pkm.kotabaru",
        "Kepala Puskesmas Kotabaru",
    ),
    (
        "PUSKESMAS_SEBUKU",
        "Puskesmas Pulau Sebuku",
        Some("DINKES"),
        "pkm.sebuku",
        "Kepala Puskesmas Pulau Sebuku",
    ),
    (
        "DPUPR",
        "Dinas Pekerjaan Umum dan Penataan Ruang",
        None,
        "dpupr",
        "Kepala Dinas PUPR",
    ),
    (
        "BPBD",
        "Badan Penanggulangan Bencana Daerah",
        None,
        "bpbd",
        "Kepala Pelaksana BPBD",
    ),
    (
        "DISDIK",
        "Dinas Pendidikan",
        None,
        "disdik",
        "Kepala Dinas Pendidikan",
    ),
    (
        "DINSOS",
        "Dinas Sosial",
        None,
        "dinsos",
        "Kepala Dinas Sosial",
    ),
    (
        "SATPOLPP",
        "Satuan Polisi Pamong Praja",
        None,
        "satpolpp",
        "Kepala Satpol PP",
    ),
    (
        "KEC_PULAULAUT_UTARA",
        "Kecamatan Pulau Laut Utara",
        None,
        "kec.plu",
        "Camat Pulau Laut Utara",
    ),
    (
        "KEL_BARU",
        "Kelurahan Baru",
        Some("KEC_PULAULAUT_UTARA"),
        "kel.baru",
        "Lurah Baru",
    ),
    (
        "KEL_DIRGAHAYU",
        "Kelurahan Dirgahayu",
        Some("KEC_PULAULAUT_UTARA"),
        "kel.dirgahayu",
        "Lurah Dirgahayu",
    ),
    (
        "KEC_KELUMPANG_HILIR",
        "Kecamatan Kelumpang Hilir",
        None,
        "kec.kelumpanghilir",
        "Camat Kelumpang Hilir",
    ),
    (
        "KEL_SERONGGA",
        "Kelurahan Serongga",
        Some("KEC_KELUMPANG_HILIR"),
        "kel.serongga",
        "Lurah Serongga",
    ),
    (
        "RSUD",
        "RSUD Pangeran Jaya Sumitra",
        None,
        "rsud",
        "Direktur RSUD",
    ),
];

/// (email, name, role, unit)
const USERS: &[(&str, &str, &str, Option<&str>)] = &[
    (
        "admin@demo.tanggap.id",
        "Admin Tanggap",
        "admin",
        Some("DISKOMINFO"),
    ),
    (
        "trc@demo.tanggap.id",
        "Tim Reaksi Cepat",
        "trc",
        Some("DISKOMINFO"),
    ),
    (
        "pic.dinkes@demo.tanggap.id",
        "PIC Dinas Kesehatan",
        "pic",
        Some("DINKES"),
    ),
    (
        "pic.dpupr@demo.tanggap.id",
        "PIC Dinas PUPR",
        "pic",
        Some("DPUPR"),
    ),
    (
        "leader@demo.tanggap.id",
        "Sekretaris Daerah",
        "leader",
        None,
    ),
];

/// Seeds the demo data when the database has no users yet. Answers whether it seeded.
pub fn seed_if_empty(conn: &mut Db, ctx: &Ctx) -> AppResult<bool> {
    if store::users::count(conn)? > 0 {
        return Ok(false);
    }
    for (code, name, parent, inbox, head) in UNITS {
        units::create(
            conn,
            ctx,
            units::NewUnit {
                code: (*code).into(),
                name: (*name).into(),
                parent: parent.map(Into::into),
                email: Some(format!("{inbox}@demo.tanggap.id")),
                head_name: Some((*head).into()),
                head_email: Some(format!("kepala.{inbox}@demo.tanggap.id")),
                active: Some(true),
            },
        )?;
    }
    for (email, name, role, unit) in USERS {
        users::create(
            conn,
            ctx,
            users::NewUser {
                email: (*email).into(),
                name: (*name).into(),
                role: (*role).into(),
                unit: unit.map(Into::into),
                password: DEMO_PASSWORD.into(),
                active: Some(true),
            },
        )?;
    }
    Ok(true)
}
