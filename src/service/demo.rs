//! Demo data for a new database (profile `default`): the units of a kabupaten and one user per
//! role, all with the password `tanggap-demo`.
//!
//! Long because: the demo's units, users and issues are one script of data, in the order the walk-
//! through meets them.

use super::{units, users, Ctx};
use crate::error::AppResult;
use crate::store::{self, Db};

/// The password of every demo user; printed with a warning at start-up.
pub const DEMO_PASSWORD: &str = "tanggap-demo";

/// An Argon2id hash of [`DEMO_PASSWORD`] (default parameters), shared by the demo users so that
/// seeding computes none; a test checks that it verifies.
const DEMO_PASSWORD_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$qSs7+WBNuhi+lty33geJQw$uQ7PdWTWi0XOcAtc1+niXi7FKYybXNGPEhvxiypOlvM";

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
        "pic.sebuku@demo.tanggap.id",
        "PIC Puskesmas Pulau Sebuku",
        "pic",
        Some("PUSKESMAS_SEBUKU"),
    ),
    (
        "leader@demo.tanggap.id",
        "Sekretaris Daerah",
        "leader",
        None,
    ),
];

/// (name, categories, keywords, unit, auto_assign)
type DemoRule = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    &'static str,
    bool,
);

const RULES: &[DemoRule] = &[
    ("Bencana langsung ke BPBD", &["bencana"], &[], "BPBD", true),
    (
        "Hoaks kesehatan ke Dinkes",
        &["hoaks_disinformasi", "kesehatan"],
        &["vaksin", "imunisasi", "puskesmas", "rumah sakit", "obat"],
        "DINKES",
        false,
    ),
    (
        "Jalan, jembatan dan lampu ke DPUPR",
        &["infrastruktur"],
        &["jalan", "jembatan", "drainase", "lampu"],
        "DPUPR",
        false,
    ),
    (
        "Ketertiban umum ke Satpol PP",
        &["keamanan_ketertiban"],
        &[],
        "SATPOLPP",
        true,
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
    for (name, categories, keywords, unit, auto) in RULES {
        let cond = super::rules::Conditions {
            categories: categories.iter().map(|c| (*c).to_owned()).collect(),
            keywords: keywords.iter().map(|c| (*c).to_owned()).collect(),
            ..super::rules::Conditions::default()
        };
        super::rules::create(
            conn,
            ctx,
            super::rules::NewRule {
                name: (*name).into(),
                position: None,
                enabled: Some(true),
                conditions: Some(cond),
                unit: (*unit).into(),
                auto_assign: Some(*auto),
            },
        )?;
    }
    for (email, name, role, unit) in USERS {
        users::create_with_hash(
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
            Some(DEMO_PASSWORD_HASH),
        )?;
    }
    Ok(true)
}

/// One demo issue: who files it, what it says, and what happens to it afterwards.
struct DemoIssue {
    filer: &'static str,
    body: serde_json::Value,
    steps: &'static [(&'static str, &'static str, &'static str)],
}

#[allow(
    clippy::too_many_lines,
    reason = "the demo's issues as one script, in the order the walk-through meets them"
)]
fn demo_issues() -> Vec<DemoIssue> {
    use serde_json::json;
    vec![
        DemoIssue {
            filer: "trc@demo.tanggap.id",
            body: json!({"title": "Banjir setinggi lutut di Kelurahan Baru", "description": "Warga mengunggah video air masuk rumah sejak subuh di RT 05 Kelurahan Baru. Jalan ke sekolah terputus.", "category": "bencana", "channel": "kim", "source_urls": ["https://www.facebook.com/groups/kim.kotabaru/posts/1001"], "priority": "critical", "location": {"district": "Pulau Laut Utara", "village": "Baru", "lat": -3.2352, "lon": 116.2281}, "tags": ["banjir", "darurat"], "evidence": {"reach": 12000}}),
            // Routed to BPBD at once by the rule "Bencana langsung ke BPBD".
            steps: &[],
        },
        DemoIssue {
            filer: "pic.dinkes@demo.tanggap.id",
            body: json!({"title": "Hoaks: vaksin campak menyebabkan kemandulan", "description": "Video TikTok yang menyebut vaksin campak-rubela di sekolah menyebabkan kemandulan ditonton puluhan ribu kali dan dibagikan di grup WhatsApp orang tua murid.", "category": "hoaks_disinformasi", "channel": "tiktok", "source_urls": ["https://www.tiktok.com/@akun.anonim/video/7301"], "priority": "high", "verdict": "hoaks", "tags": ["vaksin", "imunisasi"], "evidence": {"reach": 45000, "archive_urls": ["https://archive.org/web/tiktok-7301"]}}),
            steps: &[
                ("trc@demo.tanggap.id", "triage", r#"{"unit": "DINKES"}"#),
                (
                    "pic.dinkes@demo.tanggap.id",
                    "respond",
                    r#"{"text": "Klarifikasi Dinas Kesehatan: vaksin MR aman dan tidak menyebabkan kemandulan. Informasi lengkap di situs resmi Dinkes."}"#,
                ),
            ],
        },
        DemoIssue {
            filer: "pic.dpupr@demo.tanggap.id",
            body: json!({"title": "Jembatan Sungai Serongga rusak dan berlubang", "description": "Lantai kayu jembatan penghubung Desa Serongga berlubang, sepeda motor harus dituntun. Foto beredar di Facebook.", "category": "infrastruktur", "channel": "facebook", "source_urls": ["https://www.facebook.com/info.kotabaru/posts/2002"], "location": {"district": "Kelumpang Hilir", "village": "Serongga"}, "tags": ["jembatan"]}),
            steps: &[(
                "trc@demo.tanggap.id",
                "triage",
                r#"{"unit": "DPUPR", "priority": "high"}"#,
            )],
        },
        DemoIssue {
            filer: "pic.dinkes@demo.tanggap.id",
            body: json!({"title": "Antrean pasien BPJS di Puskesmas Kotabaru sampai 4 jam", "description": "Komentar warga di Instagram Pemkab: antrean pendaftaran pasien BPJS dimulai pukul 06.00 dan baru dilayani pukul 10.00.", "category": "layanan_publik", "channel": "instagram", "source_urls": ["https://www.instagram.com/p/Kotabaru3003/"], "tags": ["antrean", "bpjs"]}),
            steps: &[(
                "trc@demo.tanggap.id",
                "triage",
                r#"{"unit": "PUSKESMAS_KOTABARU"}"#,
            )],
        },
        DemoIssue {
            filer: "trc@demo.tanggap.id",
            body: json!({"title": "Jalan poros Kelumpang Hilir berlubang, pengendara terjatuh", "description": "Berita daring melaporkan dua pengendara terjatuh malam hari karena lubang jalan tanpa rambu.", "category": "infrastruktur", "channel": "media_online", "source_urls": ["https://berita.example.id/2026/kotabaru/jalan-berlubang"], "location": {"district": "Kelumpang Hilir"}}),
            steps: &[],
        },
        DemoIssue {
            filer: "trc@demo.tanggap.id",
            body: json!({"title": "Dugaan pungutan pendaftaran siswa baru di sebuah SD", "description": "Akun X menuding ada pungutan Rp500.000 saat pendaftaran siswa baru; menyebut nama anak. Perlu ditangani tertutup.", "category": "pendidikan", "channel": "x", "source_urls": ["https://x.com/warga_kotabaru/status/4004"], "sensitivity": "restricted", "tags": ["pungli"]}),
            steps: &[],
        },
        DemoIssue {
            filer: "pic.dpupr@demo.tanggap.id",
            body: json!({"title": "Lampu penerangan jalan padam di Jalan Veteran", "description": "Laporan LAPOR!: lampu jalan padam sepanjang 500 meter selama dua minggu.", "category": "infrastruktur", "channel": "lapor", "source_urls": ["https://www.lapor.go.id/laporan/detil/5005"], "lapor_id": "LAPOR-2026-5005", "location": {"district": "Pulau Laut Utara"}}),
            steps: &[
                ("trc@demo.tanggap.id", "triage", r#"{"unit": "DPUPR"}"#),
                (
                    "pic.dpupr@demo.tanggap.id",
                    "resolve",
                    r#"{"text": "Lampu sudah diganti dan menyala kembali sejak Senin."}"#,
                ),
                ("trc@demo.tanggap.id", "close", "{}"),
            ],
        },
        DemoIssue {
            filer: "trc@demo.tanggap.id",
            body: json!({"title": "Bantuan sosial dinilai tidak tepat sasaran di Desa Hilir Muara", "description": "Video YouTube warga memprotes daftar penerima bantuan yang memuat keluarga mampu.", "category": "sosial", "channel": "youtube", "source_urls": ["https://www.youtube.com/watch?v=kotabaru6006"], "location": {"district": "Pulau Laut Utara", "village": "Hilir Muara"}}),
            steps: &[
                ("trc@demo.tanggap.id", "triage", r#"{"unit": "DINSOS"}"#),
                (
                    "trc@demo.tanggap.id",
                    "hold",
                    r#"{"reason": "Menunggu verifikasi data DTKS dari Kementerian Sosial."}"#,
                ),
            ],
        },
        DemoIssue {
            filer: "trc@demo.tanggap.id",
            body: json!({"title": "Pedagang kaki lima menutup trotoar Pasar Kemakmuran", "description": "Warga datang langsung ke Diskominfo: trotoar depan pasar tertutup lapak sehingga pejalan kaki turun ke jalan.", "category": "keamanan_ketertiban", "channel": "langsung", "location": {"district": "Pulau Laut Utara"}}),
            // Routed to Satpol PP at once by its rule.
            steps: &[],
        },
        DemoIssue {
            filer: "pic.dinkes@demo.tanggap.id",
            body: json!({"title": "Video viral: ambulans RSUD disebut menolak pasien", "description": "Video di TikTok menyebut ambulans RSUD menolak menjemput pasien di Kelurahan Dirgahayu. Belum jelas kebenarannya.", "category": "kesehatan", "channel": "tiktok", "source_urls": ["https://www.tiktok.com/@warga/video/7007"], "priority": "high", "tags": ["rsud", "viral"]}),
            steps: &[],
        },
        DemoIssue {
            filer: "trc@demo.tanggap.id",
            body: json!({"title": "Banjir di Kelurahan Baru (pesan berantai grup WhatsApp)", "description": "Pesan berantai tentang banjir yang sama di Kelurahan Baru.", "category": "bencana", "channel": "whatsapp", "source_urls": ["https://chat.whatsapp.com/kotabaru-info"]}),
            steps: &[("trc@demo.tanggap.id", "merge", r#"{"into": "$FIRST"}"#)],
        },
        DemoIssue {
            filer: "trc@demo.tanggap.id",
            body: json!({"title": "Iklan pinjaman online mengatasnamakan Pemkab", "description": "Pesan WhatsApp menawarkan pinjaman dengan logo Pemkab. Spam penipuan, bukan isu layanan daerah.", "category": "lainnya", "channel": "whatsapp", "source_urls": ["https://chat.whatsapp.com/spam-pinjol"]}),
            steps: &[(
                "trc@demo.tanggap.id",
                "reject",
                r#"{"reason": "Spam penipuan; diteruskan ke aduankonten Kominfo, bukan isu layanan daerah."}"#,
            )],
        },
    ]
}

fn actor(conn: &mut Db, base: &Ctx, email: &str, now: i64) -> AppResult<Ctx> {
    let row = store::users::find_by_email(conn, email)?
        .ok_or_else(|| anyhow::anyhow!("demo user {email} missing"))?;
    let user = users::User::from_row(&row)?;
    Ok(Ctx {
        actor: super::Actor::User(user.into_caller()),
        now,
        request_id: None,
        client_request_id: None,
        sla: base.sla.clone(),
    })
}

/// Seeds the demo issues when there are none yet. Answers how many it filed.
pub fn seed_issues(conn: &mut Db, base: &Ctx) -> AppResult<usize> {
    let now = base.now;
    if store::issues::count(conn)? > 0 {
        return Ok(0);
    }
    let demos = demo_issues();
    let mut first: Option<String> = None;
    for (i, d) in demos.iter().enumerate() {
        // Filed a few hours apart over the last days, so queues have an order.
        let at = now - i64::try_from(demos.len() - i).unwrap_or(0) * 3 * 3600 * 1_000_000;
        let ctx = actor(conn, base, d.filer, at)?;
        let input = serde_json::from_value(d.body.clone())
            .map_err(|e| anyhow::anyhow!("demo issue {i}: {e}"))?;
        let filed = super::issues::file::file(conn, &ctx, input, None)?;
        let reference = filed.reference;
        if first.is_none() {
            first = Some(reference.clone());
        }
        for (step, (who, action, body)) in d.steps.iter().enumerate() {
            let ctx = actor(
                conn,
                base,
                who,
                at + i64::try_from(step + 1).unwrap_or(1) * 1_800_000_000,
            )?;
            let body = body.replace("$FIRST", first.as_deref().unwrap_or_default());
            let raw: serde_json::Value =
                serde_json::from_str(&body).map_err(|e| anyhow::anyhow!("demo step: {e}"))?;
            let action = crate::domain::Action::parse(action)
                .ok_or_else(|| anyhow::anyhow!("demo action {action}"))?;
            super::issues::actions::act(conn, &ctx, &reference, action, None, &raw)?;
        }
    }
    Ok(demos.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shared_demo_hash_is_the_demo_password() {
        assert!(users::verify_password(DEMO_PASSWORD, DEMO_PASSWORD_HASH));
        assert!(!users::verify_password("tanggap-demo2", DEMO_PASSWORD_HASH));
    }
}
