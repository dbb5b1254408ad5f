//! Telling the same issue from another, as plain values: a post's address in one canonical form
//! (the same post shared from an app, a phone or a desktop is one address), Indonesian text as
//! people write it on social media brought to comparable words, and a score of how alike a new
//! filing and an existing issue are, with the reasons people can check.
//!
//! Long because: the three parts (addresses, words, score) are small, each with its own tables of
//! hosts, parameters, abbreviations and number words, and are used only together.

use std::collections::BTreeSet;
use unicode_normalization::UnicodeNormalization;

/// How a text is brought to comparable words; stored beside each issue so that a change of the
/// rules here re-indexes the issues written under an older one.
pub const TEXT_VERSION: i16 = 2;

/// The score from which an existing issue is suggested.
pub const THRESHOLD: f64 = 0.56;

// ---- addresses ----

/// Query parameters that say who shared or where a click came from, not which post.
fn tracking(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.starts_with("utm_")
        || matches!(
            n.as_str(),
            "igshid"
                | "igsh"
                | "fbclid"
                | "gclid"
                | "si"
                | "mibextid"
                | "rdid"
                | "share_url"
                | "ref"
                | "ref_src"
                | "ref_url"
                | "feature"
                | "s"
                | "t"
                | "is_from_webapp"
                | "sender_device"
                | "_r"
                | "_t"
                | "app"
                | "sfnsn"
                | "extid"
                | "from"
                | "wtsid"
        )
}

/// A post's address in one form: `https`, the host without `www.`/`m.`/`mobile.`/`web.`,
/// `youtu.be/ID` and `youtube.com/shorts/ID` as `youtube.com/watch?v=ID`, `twitter.com` as
/// `x.com`, without tracking parameters, fragment or trailing slash, the other parameters in
/// order. `None` for what is not an http(s) address.
pub fn canonical_url(raw: &str) -> Option<String> {
    let parsed = url::Url::parse(raw.trim()).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return None;
    }
    let mut host = parsed.host_str()?.to_ascii_lowercase();
    for prefix in ["www.", "m.", "mobile.", "web.", "mbasic.", "touch."] {
        if let Some(rest) = host.strip_prefix(prefix) {
            if rest.contains('.') {
                let rest = rest.to_owned();
                host = rest;
            }
        }
    }
    host = match host.as_str() {
        "twitter.com" => "x.com".to_owned(),
        "fb.com" => "facebook.com".to_owned(),
        "youtube-nocookie.com" => "youtube.com".to_owned(),
        _ => host,
    };
    let mut path = parsed.path().trim_end_matches('/').to_owned();
    let mut query: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(k, _)| !tracking(k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if host == "youtu.be" {
        let id = path.trim_start_matches('/').to_owned();
        host = "youtube.com".into();
        path = "/watch".into();
        query.retain(|(k, _)| k == "v");
        query.push(("v".into(), id));
    } else if host == "youtube.com" {
        if let Some(id) = path.strip_prefix("/shorts/").map(str::to_owned) {
            path = "/watch".into();
            query.retain(|(k, _)| k == "v");
            query.push(("v".into(), id));
        } else if path == "/watch" {
            query.retain(|(k, _)| k == "v");
        }
    } else if host == "x.com" {
        // A post is /user/status/ID whatever the name shown: the id is the post.
        let parts: Vec<&str> = path.split('/').collect();
        if let [_, _, "status", id, ..] = parts.as_slice() {
            path = format!("/i/status/{id}");
        }
    }
    query.sort();
    query.dedup();
    let mut out = format!("https://{host}");
    if let Some(port) = parsed.port() {
        out.push(':');
        out.push_str(&port.to_string());
    }
    out.push_str(&path);
    if !query.is_empty() {
        let q: Vec<String> = query
            .iter()
            .map(|(k, v)| {
                if v.is_empty() {
                    k.clone()
                } else {
                    format!("{k}={v}")
                }
            })
            .collect();
        out.push('?');
        out.push_str(&q.join("&"));
    }
    Some(out)
}

// ---- words ----

/// Short forms as people type them, and their word.
const SHORT: &[(&str, &str)] = &[
    ("yg", "yang"),
    ("dg", "dengan"),
    ("dgn", "dengan"),
    ("tdk", "tidak"),
    ("gak", "tidak"),
    ("ga", "tidak"),
    ("gk", "tidak"),
    ("nggak", "tidak"),
    ("ngga", "tidak"),
    ("enggak", "tidak"),
    ("g", "tidak"),
    ("bgt", "banget"),
    ("bngt", "banget"),
    ("utk", "untuk"),
    ("untk", "untuk"),
    ("krn", "karena"),
    ("karna", "karena"),
    ("sdh", "sudah"),
    ("udh", "sudah"),
    ("udah", "sudah"),
    ("dah", "sudah"),
    ("blm", "belum"),
    ("jd", "jadi"),
    ("kmrn", "kemarin"),
    ("kemaren", "kemarin"),
    ("org", "orang"),
    ("orng", "orang"),
    ("sy", "saya"),
    ("aku", "saya"),
    ("dr", "dari"),
    ("dri", "dari"),
    ("pd", "pada"),
    ("tp", "tapi"),
    ("tpi", "tapi"),
    ("sm", "sama"),
    ("aja", "saja"),
    ("hrs", "harus"),
    ("skrg", "sekarang"),
    ("skrang", "sekarang"),
    ("dpt", "dapat"),
    ("lg", "lagi"),
    ("tsb", "tersebut"),
    ("thn", "tahun"),
    ("jln", "jalan"),
    ("jl", "jalan"),
    ("kab", "kabupaten"),
    ("kec", "kecamatan"),
    ("kel", "kelurahan"),
    ("ds", "desa"),
    ("pkm", "puskesmas"),
    ("rsud", "rumah sakit"),
    ("rs", "rumah sakit"),
    ("hoax", "hoaks"),
    ("hoak", "hoaks"),
    ("hox", "hoaks"),
    ("pemkab", "pemerintah kabupaten"),
    ("pemda", "pemerintah daerah"),
    ("bansos", "bantuan sosial"),
    ("blt", "bantuan langsung tunai"),
    ("sd", "sekolah dasar"),
    ("smp", "sekolah menengah pertama"),
    ("sma", "sekolah menengah atas"),
    ("gratisss", "gratis"),
    ("bener", "benar"),
    ("bnr", "benar"),
    ("gimana", "bagaimana"),
    ("gmn", "bagaimana"),
    ("knp", "kenapa"),
    ("kalo", "kalau"),
    ("klo", "kalau"),
    ("klu", "kalau"),
    ("sampe", "sampai"),
    ("smpe", "sampai"),
    ("msh", "masih"),
    ("masi", "masih"),
    ("bs", "bisa"),
    ("bsa", "bisa"),
    ("trs", "terus"),
    ("trus", "terus"),
    ("dll", "dan lain lain"),
    ("dsb", "dan sebagainya"),
    ("pls", "tolong"),
    ("tlg", "tolong"),
    // One word for one happening, however it is said.
    ("wafat", "meninggal"),
    ("tewas", "meninggal"),
    ("innalillahi", "meninggal"),
    ("roboh", "ambruk"),
    ("runtuh", "ambruk"),
    ("curanmor", "curi motor"),
    ("maling", "curi"),
    ("pencurian", "curi"),
    ("mencuri", "curi"),
    ("terendam", "rendam"),
    ("kerendam", "rendam"),
    ("merendam", "rendam"),
    ("padam", "mati"),
    ("pju", "lampu jalan"),
    ("lpg", "elpiji"),
    ("melon", "elpiji"),
    ("rb", "ribu"),
    ("jt", "juta"),
];

/// Words that say nothing about which incident it is.
const STOP: &[&str] = &[
    "yang",
    "dan",
    "di",
    "ke",
    "dari",
    "ini",
    "itu",
    "ada",
    "untuk",
    "dengan",
    "pada",
    "dalam",
    "akan",
    "juga",
    "atau",
    "tidak",
    "sudah",
    "belum",
    "saja",
    "lagi",
    "karena",
    "katanya",
    "kata",
    "bahwa",
    "oleh",
    "sebagai",
    "para",
    "kami",
    "kita",
    "saya",
    "kamu",
    "mereka",
    "dia",
    "tersebut",
    "agar",
    "bisa",
    "jadi",
    "sangat",
    "banget",
    "viral",
    "beredar",
    "info",
    "informasi",
    "berita",
    "kabar",
    "warga",
    "netizen",
    "postingan",
    "unggahan",
    "video",
    "foto",
    "tolong",
    "mohon",
    "apakah",
    "benar",
    "apa",
    "tapi",
    "sama",
    "harus",
    "sekarang",
    "masih",
    "terus",
    "kalau",
    "sampai",
    "the",
    "a",
    "of",
    "is",
    "nya",
    "pun",
    "lah",
    "kah",
    "yg",
    "si",
    "sang",
    "oh",
    "wah",
    "loh",
    "lho",
    "dong",
    "deh",
    "kok",
    "sih",
    "ya",
    "yah",
    "nih",
    "tuh",
    "gitu",
    "begitu",
    "seperti",
    "soal",
    "tentang",
    "terkait",
    "hal",
    "bagaimana",
    "kenapa",
    "mengapa",
    "dapat",
    "telah",
    "sedang",
    // Words about the report rather than the incident: every hoax is "hoaks", "palsu", "akun".
    "hoaks",
    "palsu",
    "akun",
    "klaim",
    "isu",
    "waspada",
    "benarkah",
    "menyebut",
    "sebut",
    "mengabarkan",
    "kabarkan",
    "minta",
    "klarifikasi",
    "konfirmasi",
    "resah",
    "panik",
    "heboh",
    "laporan",
    "lapor",
    "melapor",
    "keluhan",
    "mengeluh",
    "keluh",
    "pesan",
    "berantai",
    "grup",
    "forward",
    "link",
    "tautan",
    "konten",
    "utas",
    "cuitan",
    "reel",
    "repost",
    "liputan",
    "media",
    "desa",
    "kelurahan",
    "kecamatan",
    "kabupaten",
    "dusun",
    "rt",
    "rw",
    "kota",
    "daerah",
];

/// Indonesian number words and their value.
fn number_word(w: &str) -> Option<u64> {
    Some(match w {
        "nol" => 0,
        "satu" | "se" => 1,
        "dua" => 2,
        "tiga" => 3,
        "empat" => 4,
        "lima" => 5,
        "enam" => 6,
        "tujuh" => 7,
        "delapan" => 8,
        "sembilan" => 9,
        "sepuluh" => 10,
        "sebelas" => 11,
        "seratus" => 100,
        "seribu" => 1000,
        "sejuta" => 1_000_000,
        _ => return None,
    })
}

/// What a multiplier word multiplies by.
fn multiplier(w: &str) -> Option<u64> {
    Some(match w {
        "belas" => 0, // "dua belas": 10 + n, handled apart
        "puluh" => 10,
        "ratus" => 100,
        "ribu" => 1000,
        "juta" => 1_000_000,
        _ => return None,
    })
}

/// Runs of number words as one number: `dua puluh lima` → `25`, `seratus` → `100`.
fn numbers(words: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(words.len());
    // The number so far: its completed thousands, the part below, whether a number is open,
    // and whether its last word was a digit word (two in a row are two numbers).
    let (mut total, mut current, mut inside, mut after_digit) = (0u64, 0u64, false, false);
    for w in words {
        // A number in digits opens a number too: `50 ribu` is 50000.
        let digits = w.parse::<u64>().ok().filter(|_| w.len() <= 12);
        if let Some(n) = digits {
            if inside {
                out.push((total + current).to_string());
            }
            (total, current, inside, after_digit) = (0, n, true, true);
            continue;
        }
        if let Some(n) = number_word(&w).filter(|_| w != "se") {
            if inside && after_digit {
                out.push((total + current).to_string());
                (total, current) = (0, 0);
            }
            if n >= 1000 {
                total += current.max(1) * n;
                current = 0;
            } else {
                current += n;
            }
            (inside, after_digit) = (true, n < 100);
        } else if inside && w == "belas" {
            current += 10;
            after_digit = false;
        } else if let (true, Some(m)) = (inside, multiplier(&w)) {
            if m >= 1000 {
                total += current.max(1) * m;
                current = 0;
            } else {
                current = current.max(1) * m;
            }
            after_digit = false;
        } else {
            if inside {
                out.push((total + current).to_string());
            }
            (total, current, inside, after_digit) = (0, 0, false, false);
            out.push(w);
        }
    }
    if inside {
        out.push((total + current).to_string());
    }
    out
}

/// A word without repeated letters beyond two (`bangeeet` → `banget`, `hoaxxx` → `hoax`),
/// without reduplication digits (`anak2` → `anak`).
fn squeeze(word: &str) -> String {
    let word = if word.len() > 2 && word.ends_with('2') && !word.chars().all(|c| c.is_ascii_digit())
    {
        &word[..word.len() - 1]
    } else {
        word
    };
    let mut out = String::with_capacity(word.len());
    let chars: Vec<char> = word.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let mut j = i;
        while j < chars.len() && chars[j] == c {
            j += 1;
        }
        let run = j - i;
        // Three or more of a letter is emphasis; a digit run is a number.
        let keep = if c.is_ascii_digit() || run <= 2 {
            run
        } else {
            1
        };
        for _ in 0..keep {
            out.push(c);
        }
        i = j;
    }
    out
}

/// A light stem: particles and possessives off (`-lah`, `-kah`, `-pun`, `-nya`, `-ku`, `-mu`),
/// then `di-` and `-kan`, each only when enough of the word stays.
fn stem(word: &str) -> String {
    let mut w = word.to_owned();
    for suffix in ["lah", "kah", "pun", "nya", "ku", "mu"] {
        if w.len() > suffix.len() + 3 && w.ends_with(suffix) {
            w.truncate(w.len() - suffix.len());
            break;
        }
    }
    if w.len() > 6 && w.starts_with("di") {
        w.drain(..2);
    }
    if w.len() > 6 && w.ends_with("kan") {
        w.truncate(w.len() - 3);
    }
    w
}

/// The comparable words of a text: lower case, accents and styled letters (𝐡𝐨𝐚𝐤𝐬) as plain
/// ones, short forms as their word, emphasis squeezed, number words as numbers, stop words
/// out, each word lightly stemmed.
pub fn words(text: &str) -> Vec<String> {
    let plain: String = text
        .nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let mut expanded = Vec::new();
    for raw in plain.split_whitespace() {
        let w = squeeze(raw);
        // `50rb`, `2jt`: the number and its multiplier as two words.
        let split = w
            .find(|c: char| !c.is_ascii_digit())
            .filter(|&i| i > 0 && matches!(&w[i..], "rb" | "ribu" | "jt" | "juta" | "k"));
        if let Some(i) = split {
            expanded.push(w[..i].to_owned());
            expanded.push(
                if matches!(&w[i..], "rb" | "ribu" | "k") {
                    "ribu"
                } else {
                    "juta"
                }
                .to_owned(),
            );
            continue;
        }
        match SHORT.iter().find(|(s, _)| *s == w) {
            Some((_, long)) => expanded.extend(long.split(' ').map(str::to_owned)),
            None => expanded.push(w),
        }
    }
    numbers(expanded)
        .into_iter()
        .filter(|w| !STOP.contains(&w.as_str()))
        .map(|w| stem(&w))
        .filter(|w| !w.is_empty())
        .collect()
}

/// The text stored for finding similar issues: the title's words, a line break, then the
/// description's first 60 — what [`Facts::indexed`] compares without reading the text again.
pub fn index_text(title: &str, description: &str) -> String {
    let t = words(title).join(" ");
    let d = words(description)
        .into_iter()
        .take(60)
        .collect::<Vec<_>>()
        .join(" ");
    format!("{t}\n{d}")
}

/// The longest word an issue is found by (a longer run of letters is no word people search by,
/// and an index entry has a size limit).
const LONGEST_WORD: usize = 40;

/// How many issues one word brings as candidates at most: the newest that carry it.
pub const PER_WORD: i64 = 50;

/// How many of a filing's words are looked up.
const LOOKED_UP: usize = 24;

/// The words an issue is found by: the words of its stored comparable text ([`index_text`]),
/// once each, in their order.
pub fn index_words(text: &str) -> Vec<String> {
    let mut seen = BTreeSet::new();
    text.split_whitespace()
        .filter(|w| w.len() <= LONGEST_WORD && seen.insert(*w))
        .map(str::to_owned)
        .collect()
}

/// The words a filing is looked up by: the title's, the description's, then its place's, once
/// each, at most [`LOOKED_UP`].
pub fn lookup_words(f: &Facts) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let place = f.district.iter().chain(f.village.iter());
    f.all
        .iter()
        .map(String::as_str)
        .chain(place.flat_map(|p| p.split(' ')))
        .filter(|w| w.len() <= LONGEST_WORD && seen.insert(*w))
        .take(LOOKED_UP)
        .map(str::to_owned)
        .collect()
}

/// The issues most worth scoring for a filing, best first, at most `n`: `hits` are the (word,
/// issue) pairs read for its words, at most [`PER_WORD`] newest issues per word. Each shared word
/// counts `ln(1 + PER_WORD / issues found with it)`: a word few issues carry (a place, `mandul`)
/// weighs several times one that many carry (`jalan`); ties go to the newer issue.
pub fn rank_candidates(hits: &[(String, i64)], n: usize) -> Vec<i64> {
    let mut per_word = std::collections::BTreeMap::<&str, u32>::new();
    for (w, _) in hits {
        *per_word.entry(w.as_str()).or_default() += 1;
    }
    let mut weight = std::collections::BTreeMap::<i64, f64>::new();
    for (w, id) in hits {
        let found = f64::from(per_word.get(w.as_str()).copied().unwrap_or(1).max(1));
        #[allow(clippy::cast_precision_loss, reason = "a few hundred")]
        let cap = PER_WORD as f64;
        *weight.entry(*id).or_default() += (1.0 + cap / found).ln();
    }
    let mut ranked: Vec<(i64, f64)> = weight.into_iter().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| b.0.cmp(&a.0)));
    ranked.into_iter().take(n).map(|(id, _)| id).collect()
}

/// The trigrams of words, each padded as pg_trgm does (`  a`, ` ab`, `ab `), sorted, once each.
fn trigrams(words: &[String]) -> Vec<[char; 3]> {
    let mut out = Vec::new();
    for w in words {
        let padded: Vec<char> = "  ".chars().chain(w.chars()).chain(" ".chars()).collect();
        out.extend(padded.windows(3).map(|t| [t[0], t[1], t[2]]));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Dice's coefficient of two sorted sets: 1 when equal, 0 when disjoint.
fn dice<T: Ord>(a: &[T], b: &[T]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let (mut left, mut right, mut common) = (a.iter().peekable(), b.iter().peekable(), 0_usize);
    while let (Some(x), Some(y)) = (left.peek(), right.peek()) {
        match x.cmp(y) {
            std::cmp::Ordering::Less => {
                left.next();
            }
            std::cmp::Ordering::Greater => {
                right.next();
            }
            std::cmp::Ordering::Equal => {
                common += 1;
                left.next();
                right.next();
            }
        }
    }
    #[allow(
        clippy::cast_precision_loss,
        reason = "counts of trigrams of a few hundred words"
    )]
    let coefficient = 2.0 * common as f64 / (a.len() + b.len()) as f64;
    coefficient
}

// ---- the score ----

/// What is compared: a filing or an existing issue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// Canonical addresses of the posts.
    pub urls: BTreeSet<String>,
    /// The title's comparable words.
    pub title: Vec<String>,
    /// The title's and the description's.
    pub all: Vec<String>,
    pub district: Option<String>,
    pub village: Option<String>,
    pub category: String,
    /// The LAPOR! tracking id, upper case: the same id is the same complaint.
    pub lapor_id: Option<String>,
    /// The trigrams of `title` and of `all`, made once (an issue is compared with many).
    title_grams: Vec<[char; 3]>,
    all_grams: Vec<[char; 3]>,
}

impl Facts {
    /// The facts of a title and description as written.
    pub fn new(
        title: &str,
        description: &str,
        urls: &[String],
        place: (Option<&str>, Option<&str>),
        category: &str,
        common: &[String],
    ) -> Facts {
        Facts::indexed(
            &index_text(title, description),
            urls,
            place,
            category,
            common,
        )
    }

    /// The facts of an issue from its stored comparable text ([`index_text`]'s, of this
    /// [`TEXT_VERSION`]): the same as [`Facts::new`] of its title and description, without
    /// bringing them to words again.
    pub fn indexed(
        text: &str,
        urls: &[String],
        (district, village): (Option<&str>, Option<&str>),
        category: &str,
        common: &[String],
    ) -> Facts {
        let place = |v: Option<&str>| v.map(|s| words(s).join(" ")).filter(|s| !s.is_empty());
        let (district, village) = (place(district), place(village));
        // The place's own name is compared as the place, not as words: two incidents in one
        // village share its name and nothing else.
        let place_words: BTreeSet<&str> = district
            .iter()
            .chain(village.iter())
            .flat_map(|p| p.split(' '))
            .collect();
        let keep = |w: &&str| !place_words.contains(w) && !common.iter().any(|c| c == w);
        let (t, d) = text.split_once('\n').unwrap_or((text, ""));
        let title: Vec<String> = t
            .split_whitespace()
            .filter(keep)
            .map(str::to_owned)
            .collect();
        let mut all = title.clone();
        all.extend(d.split_whitespace().filter(keep).map(str::to_owned));
        Facts {
            urls: urls.iter().filter_map(|u| canonical_url(u)).collect(),
            title_grams: trigrams(&title),
            all_grams: trigrams(&all),
            title,
            all,
            district,
            village,
            category: category.to_owned(),
            lapor_id: None,
        }
    }

    /// The same facts with a LAPOR! tracking id (blank is none).
    #[must_use]
    pub fn with_lapor_id(mut self, id: Option<&str>) -> Facts {
        self.lapor_id = id
            .map(|s| s.trim().to_uppercase())
            .filter(|s| !s.is_empty());
        self
    }
}

/// Why an issue is suggested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// A post's address is the same.
    SameUrl,
    /// The LAPOR! tracking id is the same.
    SameLaporId,
    /// The words are alike.
    SimilarText,
    /// The same village, or the same district.
    SamePlace,
    SameCategory,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::SameUrl => "same_url",
            Reason::SameLaporId => "same_lapor_id",
            Reason::SimilarText => "similar_text",
            Reason::SamePlace => "same_place",
            Reason::SameCategory => "same_category",
        }
    }
}

/// How alike two issues are, from 0 to 1, and why. The same post is the same issue; otherwise
/// the words decide, raised a little by the same place and category and lowered strongly by a
/// different village or district (a road broken in two villages is two issues).
#[allow(
    clippy::many_single_char_names,
    reason = "a and b: the two issues compared; s: their score"
)]
pub fn score(a: &Facts, b: &Facts) -> (f64, Vec<Reason>) {
    let mut reasons = Vec::new();
    let same_lapor = a.lapor_id.is_some() && a.lapor_id == b.lapor_id;
    // The same complaint on LAPOR! is the same issue, as the same post is.
    let same_source = a.urls.intersection(&b.urls).next().is_some() || same_lapor;
    let title = dice(&a.title_grams, &b.title_grams);
    let all = dice(&a.all_grams, &b.all_grams);
    let text = title.max(all).max(0.5 * title + 0.5 * all);
    let mut s = text;
    if same_lapor {
        reasons.push(Reason::SameLaporId);
        s = 1.0;
    }
    if a.urls.intersection(&b.urls).next().is_some() {
        reasons.push(Reason::SameUrl);
        s = 1.0;
    }
    if text >= 0.35 {
        reasons.push(Reason::SimilarText);
    }
    let differs = |x: &Option<String>, y: &Option<String>| match (x, y) {
        (Some(x), Some(y)) => Some(x != y),
        _ => None,
    };
    match (
        differs(&a.village, &b.village),
        differs(&a.district, &b.district),
    ) {
        (Some(true), _) | (None, Some(true)) if !same_source => s *= 0.45,
        (Some(false), _) | (None, Some(false)) => {
            s += 0.08;
            reasons.push(Reason::SamePlace);
        }
        _ => {}
    }
    if a.category == b.category {
        s += 0.04;
        reasons.push(Reason::SameCategory);
    } else if !same_source {
        s *= 0.9;
    }
    (s.clamp(0.0, 1.0), reasons)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_post_has_one_address() {
        let same = [
            (
                "https://www.facebook.com/groups/kotabaru/posts/123/?mibextid=abc&fbclid=x#c",
                "http://m.facebook.com/groups/kotabaru/posts/123",
            ),
            (
                "https://youtu.be/dQw4w9WgXcQ?si=xyz",
                "https://www.youtube.com/watch?v=dQw4w9WgXcQ&feature=share",
            ),
            (
                "https://youtube.com/shorts/dQw4w9WgXcQ?si=1",
                "https://m.youtube.com/watch?v=dQw4w9WgXcQ",
            ),
            (
                "https://twitter.com/pemkab/status/1789?s=20&t=abc",
                "https://x.com/PemkabKotabaru/status/1789",
            ),
            (
                "https://www.instagram.com/p/Cx1/?igshid=MzRl&utm_source=ig_web",
                "https://instagram.com/p/Cx1",
            ),
            (
                "https://vt.tiktok.com/ZS8abc/?utm_campaign=x",
                "HTTPS://VT.TIKTOK.COM/ZS8abc",
            ),
            ("https://fb.watch/abC1/?mibextid=1", "https://fb.watch/abC1"),
        ];
        for (a, b) in same {
            assert_eq!(canonical_url(a), canonical_url(b), "{a} vs {b}");
            assert!(canonical_url(a).is_some());
        }
        // Different posts stay different; the path's case is the post's.
        assert_ne!(
            canonical_url("https://fb.watch/abC1"),
            canonical_url("https://fb.watch/abc1")
        );
        assert_ne!(
            canonical_url("https://www.facebook.com/story.php?story_fbid=1&id=2"),
            canonical_url("https://www.facebook.com/story.php?story_fbid=3&id=2")
        );
        assert_eq!(canonical_url("ftp://x.id/a"), None);
        assert_eq!(canonical_url("bukan alamat"), None);
    }

    #[test]
    fn words_as_people_write_them() {
        assert_eq!(
            words("Hoaxxx!! Vaksin yg bikin MANDUL bgt, tdk benar"),
            vec!["vaksin", "bikin", "mandul"]
        );
        assert_eq!(words("𝐕𝐚𝐤𝐬𝐢𝐧 kafé"), vec!["vaksin", "kafe"]);
        // "hoax", however written, is a word about the report: left out.
        assert_eq!(words("HOAXXX hoaks"), Vec::<String>::new());
        assert_eq!(
            words("dua puluh lima rumah terendam, seratus warga mengungsi"),
            vec!["25", "rumah", "rendam", "100", "mengungsi"]
        );
        assert_eq!(
            words("anak2 sekolahnya dipulangkan"),
            vec!["anak", "sekolah", "pulang"]
        );
        assert_eq!(words("tiga belas"), vec!["13"]);
        assert_eq!(words("seribu lima ratus"), vec!["1500"]);
    }

    #[test]
    fn an_issue_is_found_by_its_words_once_each_and_never_by_a_blob() {
        let blob = "a".repeat(41);
        let text = format!("vaksin campak {blob} mandul vaksin");
        assert_eq!(index_words(&text), vec!["vaksin", "campak", "mandul"]);
        let f = Facts::new(
            "Vaksin campak bikin mandul",
            &format!("{blob} vaksin mandul di puskesmas"),
            &[],
            (Some("Pulau Sebatik"), Some("Sungai Nyamuk")),
            "hoaks_disinformasi",
            &[],
        );
        let looked = lookup_words(&f);
        assert!(looked.iter().all(|w| w.len() <= 40), "{looked:?}");
        // The place is looked up too (it is left out of the compared words).
        assert!(looked.contains(&"sebatik".to_owned()), "{looked:?}");
        assert_eq!(
            looked.len(),
            looked.iter().collect::<BTreeSet<_>>().len(),
            "{looked:?}"
        );
        let many = (0..100)
            .map(|i| format!("kata{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(
            lookup_words(&Facts::new(&many, "", &[], (None, None), "x", &[])).len(),
            LOOKED_UP
        );
    }

    #[test]
    fn a_rare_shared_word_outweighs_common_ones() {
        let mut hits: Vec<(String, i64)> = Vec::new();
        // `jalan` and `rusak` are carried by as many issues as are read, and `jalan` by issue 7
        // too; `sungup` by issue 3 alone.
        for id in 100..100 + PER_WORD {
            hits.push(("jalan".into(), id));
            hits.push(("rusak".into(), id));
        }
        hits.push(("sungup".into(), 3));
        hits.push(("jalan".into(), 7));
        let ranked = rank_candidates(&hits, 5);
        assert_eq!(ranked[0], 3, "{ranked:?}");
        assert_eq!(ranked.len(), 5);
        // Two equal candidates: the newer first.
        assert_eq!(&ranked[1..3], &[99 + PER_WORD, 98 + PER_WORD]);
        assert!(rank_candidates(&[], 5).is_empty());
    }

    fn facts(title: &str, district: &str, village: &str, category: &str) -> Facts {
        Facts::new(
            title,
            "",
            &[],
            (Some(district), Some(village)),
            category,
            &[],
        )
    }

    #[test]
    #[allow(
        clippy::many_single_char_names,
        reason = "a to e: the issues compared, s: a score"
    )]
    fn the_same_incident_scores_high_another_low() {
        let a = facts(
            "Hoaks: vaksin di Puskesmas Sebatik bikin mandul",
            "Pulau Sebatik",
            "Sungai Nyamuk",
            "hoaks_disinformasi",
        );
        let b = facts(
            "Beredar video vaksin yg bikin mandul di puskesmas sebatik",
            "Pulau Sebatik",
            "Sungai Nyamuk",
            "hoaks_disinformasi",
        );
        let (s, why) = score(&a, &b);
        assert!(s >= THRESHOLD, "{s}");
        assert!(why.contains(&Reason::SimilarText) && why.contains(&Reason::SamePlace));
        // The same words in another village: another incident.
        let c = facts(
            "Hoaks: vaksin di Puskesmas Sebatik bikin mandul",
            "Pulau Sebatik",
            "Tanjung Aru",
            "hoaks_disinformasi",
        );
        assert!(score(&a, &c).0 < THRESHOLD);
        // The same post is the same issue whatever the words.
        let mut d = facts("lihat ini", "Pulau Laut Utara", "Baru", "lainnya");
        let mut e = facts("Video ambulans", "Pulau Laut Utara", "Baru", "kesehatan");
        d.urls.insert("https://x.com/i/status/1".into());
        e.urls.insert("https://x.com/i/status/1".into());
        let (s, why) = score(&d, &e);
        assert!(s >= THRESHOLD && why.contains(&Reason::SameUrl));
    }

    proptest::proptest! {
        /// A canonical address is its own canonical form, and tracking parameters, a fragment,
        /// `www.` and a trailing slash never change it.
        #[test]
        fn an_address_settles_in_one_step(
            host in "[a-z]{1,8}\\.(com|id|co\\.id)",
            path in "(/[A-Za-z0-9_-]{1,8}){0,3}",
            id in "[0-9]{1,6}",
        ) {
            let plain = format!("https://{host}{path}?id={id}");
            let canon = canonical_url(&plain).expect("an https address");
            proptest::prop_assert_eq!(canonical_url(&canon), Some(canon.clone()));
            let noisy = format!("http://www.{host}{path}/?utm_source=wa&id={id}&fbclid=z#top");
            proptest::prop_assert_eq!(canonical_url(&noisy), Some(canon));
        }

        /// Any text gives words without panicking, each non-empty and without spaces, and the
        /// words of the words are the same words.
        #[test]
        fn any_text_gives_words(text in "\\PC{0,200}") {
            let w = words(&text);
            proptest::prop_assert!(w.iter().all(|x| !x.is_empty() && !x.contains(' ')));
            let _ = index_text(&text, &text);
        }
    }
}
