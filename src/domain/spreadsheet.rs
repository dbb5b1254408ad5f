//! Reading the spreadsheets units keep today: Indonesian column names, dates and names of
//! categories, channels, priorities and statuses, mapped to the domain's values. Pure.

use super::{Category, Channel, Priority, Sensitivity, Status};
use jiff::civil::{Date, DateTime, Time};

/// The column a header names (accepting the usual Indonesian and English spellings).
pub fn column(header: &str) -> Option<&'static str> {
    let h: String = header
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect();
    Some(match h.as_str() {
        "ideksternal" | "id" | "no" | "nomor" | "ref" | "externalid" => "id_eksternal",
        "tanggal" | "tanggallapor" | "tgl" | "tanggalmasuk" | "date" | "filedat" => "tanggal",
        "judul" | "title" | "isu" => "judul",
        "uraian" | "deskripsi" | "keterangan" | "description" => "uraian",
        "kategori" | "category" => "kategori",
        "kanal" | "sumber" | "media" | "channel" => "kanal",
        "prioritas" | "priority" => "prioritas",
        "tautan" | "link" | "url" | "sourceurls" => "tautan",
        "kecamatan" | "district" => "kecamatan",
        "desa" | "kelurahan" | "desakelurahan" | "village" => "desa",
        "unit" | "opd" | "skpd" | "unitkerja" | "assignedunit" => "unit",
        "status" => "status",
        "tanggaltanggapan" | "tgltanggapan" | "respondedat" => "tanggal_tanggapan",
        "tanggalselesai" | "tglselesai" | "resolvedat" => "tanggal_selesai",
        "tanggapan" | "jawaban" | "response" => "tanggapan",
        "idlapor" | "lapor" | "laporid" | "nomorlapor" => "id_lapor",
        "tag" | "tags" | "label" => "tag",
        "kerahasiaan" | "sensitivitas" | "sensitivity" | "klasifikasi" => "kerahasiaan",
        "unitpelapor" | "opdpelapor" | "filingunit" => "unit_pelapor",
        _ => return None,
    })
}

fn key(s: &str) -> String {
    s.trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

pub fn category(s: &str) -> Option<Category> {
    Some(match key(s).as_str() {
        "layananpublik" | "pelayananpublik" | "pelayanan" => Category::LayananPublik,
        "infrastruktur" => Category::Infrastruktur,
        "kesehatan" => Category::Kesehatan,
        "pendidikan" => Category::Pendidikan,
        "bencana" | "bencanaalam" => Category::Bencana,
        "sosial" => Category::Sosial,
        "ekonomi" => Category::Ekonomi,
        "keamanandanketertiban" | "keamananketertiban" | "trantib" | "ketertiban" => {
            Category::KeamananKetertiban
        }
        "hoaks" | "hoax" | "hoaksdisinformasi" | "disinformasi" | "hoaksdandisinformasi" => {
            Category::HoaksDisinformasi
        }
        "kepegawaian" | "asn" => Category::Kepegawaian,
        "lainnya" | "lainlain" | "lain" => Category::Lainnya,
        _ => return None,
    })
}

pub fn channel(s: &str) -> Option<Channel> {
    Some(match key(s).as_str() {
        "facebook" | "fb" => Channel::Facebook,
        "instagram" | "ig" => Channel::Instagram,
        "tiktok" => Channel::Tiktok,
        "x" | "twitter" | "xtwitter" | "twitterx" => Channel::X,
        "youtube" | "yt" => Channel::Youtube,
        "whatsapp" | "wa" => Channel::Whatsapp,
        "mediaonline" | "beritaonline" | "online" | "portalberita" => Channel::MediaOnline,
        "mediacetak" | "koran" | "cetak" | "suratkabar" => Channel::MediaCetak,
        "lapor" => Channel::Lapor,
        "kim" => Channel::Kim,
        "langsung" | "tatapmuka" | "datanglangsung" | "walkin" => Channel::Langsung,
        "publik" | "formulirpublik" | "mintaklarifikasi" => Channel::Publik,
        "lainnya" | "lainlain" => Channel::Lainnya,
        _ => return None,
    })
}

pub fn priority(s: &str) -> Option<Priority> {
    Some(match key(s).as_str() {
        "kritis" | "critical" | "darurat" => Priority::Critical,
        "tinggi" | "high" => Priority::High,
        "sedang" | "medium" | "normal" => Priority::Medium,
        "rendah" | "low" => Priority::Low,
        _ => return None,
    })
}

/// `normal` or `terbatas` (restricted: SARA, security, election, minors).
pub fn sensitivity(s: &str) -> Option<Sensitivity> {
    Some(match key(s).as_str() {
        "normal" | "biasa" | "umum" | "terbuka" => Sensitivity::Normal,
        "terbatas" | "restricted" | "rahasia" | "sensitif" => Sensitivity::Restricted,
        _ => return None,
    })
}

pub fn status(s: &str) -> Option<Status> {
    Some(match key(s).as_str() {
        "baru" | "new" => Status::New,
        "ditugaskan" | "diproses" | "proses" | "assigned" => Status::Assigned,
        "ditanggapi" | "responded" => Status::Responded,
        "selesai" | "resolved" => Status::Resolved,
        "ditutup" | "closed" => Status::Closed,
        "ditolak" | "rejected" => Status::Rejected,
        "ditunda" | "onhold" | "tertunda" => Status::OnHold,
        "duplikat" | "duplicate" | "ganda" => Status::Duplicate,
        _ => return None,
    })
}

/// A local date and optional time: `14/01/2026`, `14-01-2026`, `2026-01-14`, each optionally
/// followed by `08:30` or `08.30`; or an RFC 3339 instant.
pub fn local_datetime(s: &str) -> Option<DateTime> {
    let s = s.trim();
    let (date, time) = match s.split_once([' ', 'T']) {
        // `get`, not indexing: byte 10 may fall inside a character of a non-ASCII cell.
        Some((d, t)) if !s.contains('Z') && !s.get(10..).unwrap_or("").contains('+') => {
            (d, Some(t))
        }
        _ => (s, None),
    };
    let date = parse_date(date)?;
    let time = match time.map(str::trim).filter(|t| !t.is_empty()) {
        None => Time::midnight(),
        Some(t) => {
            let mut parts = t.split([':', '.']);
            let h: i8 = parts.next()?.parse().ok()?;
            let m: i8 = parts.next().unwrap_or("0").parse().ok()?;
            Time::new(h, m, 0, 0).ok()?
        }
    };
    Some(DateTime::from_parts(date, time))
}

#[allow(
    clippy::many_single_char_names,
    reason = "the three parts of a date and their readings are named like the formats they parse"
)]
fn parse_date(s: &str) -> Option<Date> {
    let parts: Vec<&str> = s.split(['/', '-', '.']).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let n = |x: &str| x.parse::<i16>().ok();
    let (y, m, d) = if a.len() == 4 {
        (n(a)?, n(b)?, n(c)?)
    } else if c.len() == 4 {
        (n(c)?, n(b)?, n(a)?)
    } else {
        return None;
    };
    Date::new(y, i8::try_from(m).ok()?, i8::try_from(d).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indonesian_names() {
        assert_eq!(
            category("Keamanan dan Ketertiban"),
            Some(Category::KeamananKetertiban)
        );
        assert_eq!(
            category("Hoaks/Disinformasi"),
            Some(Category::HoaksDisinformasi)
        );
        assert_eq!(category("layanan_publik"), Some(Category::LayananPublik));
        assert_eq!(channel("LAPOR!"), Some(Channel::Lapor));
        assert_eq!(channel("Media Online"), Some(Channel::MediaOnline));
        assert_eq!(channel("X (Twitter)"), Some(Channel::X));
        assert_eq!(priority("Tinggi"), Some(Priority::High));
        assert_eq!(status("Selesai"), Some(Status::Resolved));
        assert_eq!(category("gosip"), None);
        assert_eq!(column(" Tanggal Lapor "), Some("tanggal"));
        assert_eq!(column("Desa/Kelurahan"), Some("desa"));
    }

    #[test]
    fn indonesian_dates() {
        let d = |s: &str| local_datetime(s).map(|d| d.to_string());
        assert_eq!(d("14/01/2026"), Some("2026-01-14T00:00:00".into()));
        assert_eq!(d("2026-01-14"), Some("2026-01-14T00:00:00".into()));
        assert_eq!(d("14-01-2026 08.30"), Some("2026-01-14T08:30:00".into()));
        assert_eq!(d("2026-01-14 16:05"), Some("2026-01-14T16:05:00".into()));
        assert_eq!(d("31/02/2026"), None);
        assert_eq!(d("01/14/2026"), None);
        assert_eq!(d("kemarin"), None);
        // A non-ASCII cell whose byte 10 falls inside a character panicked (exit 101).
        assert_eq!(d("14/01/2026é 08:30"), None);
        assert_eq!(d("2026-01-1é 08:30"), None);
    }

    proptest::proptest! {
        #[test]
        fn no_cell_makes_the_date_reader_panic(cell in "\\PC{0,40}") {
            let _ = local_datetime(&cell);
        }
    }
}
