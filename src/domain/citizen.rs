//! A citizen's request for clarification, as plain rules: the tracking code (its letters and
//! how a typed one is read), the sum the form asks (a challenge that needs no third-party
//! service), and the status words the tracking page shows.

use super::Status;

/// Letters of a tracking code: no 0/O, 1/I/L, 2/Z, 5/S, 8/B — nothing to misread on a phone.
const ALPHABET: &[u8; 26] = b"ACDEFGHJKMNPQRTUVWXY346792";

/// A tracking code from 12 random bytes: `ACDE-FGHJ-KMNP` (60 bits).
pub fn tracking_code(random: &[u8; 12]) -> String {
    let mut out = String::with_capacity(14);
    for (i, b) in random.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]));
    }
    out
}

/// A typed code as it was given: upper case, without spaces or dashes, then grouped again;
/// `None` when it cannot be a code.
pub fn read_code(typed: &str) -> Option<String> {
    let letters: Vec<u8> = typed
        .bytes()
        .filter(|b| !matches!(b, b'-' | b' ' | b'\t'))
        .map(|b| b.to_ascii_uppercase())
        .collect();
    if letters.len() != 12 || !letters.iter().all(|b| ALPHABET.contains(b)) {
        return None;
    }
    let mut out = String::with_capacity(14);
    for (i, b) in letters.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(char::from(*b));
    }
    Some(out)
}

/// The two numbers the form asks to add, from a seed.
pub fn sum_of(seed: u32) -> (u32, u32) {
    (2 + seed % 8, 3 + (seed / 8) % 7)
}

/// Whether a form's answer is right and in time: sent at least `min_secs` after the form was
/// made (people read before they type) and at most `max_secs` after.
pub fn challenge_passes(
    seed: u32,
    answer: &str,
    made_at: i64,
    now: i64,
    min_secs: i64,
    max_secs: i64,
) -> bool {
    let (a, b) = sum_of(seed);
    let right = answer.trim().parse::<u32>().is_ok_and(|n| n == a + b);
    let age = now - made_at;
    right && age >= min_secs && age <= max_secs
}

/// What a citizen is told of the issue their request became.
pub fn status_words(status: Status) -> &'static str {
    match status {
        Status::New => "Diterima, menunggu pemeriksaan Tim Reaksi Cepat",
        Status::Assigned | Status::OnHold => "Sedang ditangani oleh unit yang berwenang",
        Status::Responded => "Sudah ditanggapi",
        Status::Resolved | Status::Closed => "Selesai",
        Status::Rejected => "Tidak ditindaklanjuti",
        Status::Duplicate => "Digabungkan dengan laporan serupa",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_code_reads_back_however_it_is_typed(bytes in any::<[u8; 12]>()) {
            let code = tracking_code(&bytes);
            prop_assert_eq!(code.len(), 14);
            prop_assert_eq!(read_code(&code), Some(code.clone()));
            prop_assert_eq!(read_code(&code.to_lowercase().replace('-', " ")), Some(code.clone()));
            prop_assert_eq!(read_code(&code.replace('-', "")), Some(code));
        }
    }

    #[test]
    fn odd_codes_are_not_codes() {
        for bad in [
            "",
            "ACDE-FGHJ-KMN",
            "ACDE-FGHJ-KMNP-Q",
            "0CDE-FGHJ-KMNP",
            "ACDE/FGHJ/KMNP",
        ] {
            assert_eq!(read_code(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_sum_must_be_right_and_not_too_fast_or_late() {
        let (a, b) = sum_of(42);
        let right = (a + b).to_string();
        assert!(challenge_passes(42, &right, 100, 110, 3, 3600));
        assert!(challenge_passes(
            42,
            &format!(" {right} "),
            100,
            110,
            3,
            3600
        ));
        assert!(!challenge_passes(
            42,
            &(a + b + 1).to_string(),
            100,
            110,
            3,
            3600
        ));
        assert!(!challenge_passes(42, "x", 100, 110, 3, 3600));
        // Sent within a second of the form: a script, not a person.
        assert!(!challenge_passes(42, &right, 100, 101, 3, 3600));
        // An old form.
        assert!(!challenge_passes(42, &right, 100, 100 + 3601, 3, 3600));
    }
}
