//! Evidence files, as plain values: what a file is, judged from its content and never from its
//! name; whether it arrived whole; and the same file without the metadata a phone writes into a
//! picture (EXIF with its GPS position, XMP, IPTC, comments), which would tell anyone who
//! opens it where and when a PIC or a citizen stood.

use img_parts::Bytes;

/// The kinds of files an issue may carry: screenshots and photos, short videos, documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Jpeg,
    Png,
    Webp,
    Pdf,
    Mp4,
}

impl Kind {
    pub const ALL: [Kind; 5] = [Kind::Jpeg, Kind::Png, Kind::Webp, Kind::Pdf, Kind::Mp4];

    pub fn mime(self) -> &'static str {
        match self {
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
            Kind::Webp => "image/webp",
            Kind::Pdf => "application/pdf",
            Kind::Mp4 => "video/mp4",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Kind::Jpeg => "jpg",
            Kind::Png => "png",
            Kind::Webp => "webp",
            Kind::Pdf => "pdf",
            Kind::Mp4 => "mp4",
        }
    }

    /// Every accepted type, for error messages.
    pub fn names() -> Vec<String> {
        Kind::ALL.iter().map(|k| k.mime().to_owned()).collect()
    }

    fn of_mime(mime: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.mime() == mime)
    }
}

/// Why a file is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Empty,
    /// Not one of [`Kind::ALL`]; what it looks like, when known.
    NotAccepted(Option<String>),
    /// It starts as its kind does but does not end as it must: cut off on the way.
    Truncated(Kind),
}

impl Refusal {
    pub fn message(&self) -> String {
        match self {
            Refusal::Empty => "the file is empty".into(),
            Refusal::NotAccepted(Some(m)) => format!("a file of type {m} is not accepted"),
            Refusal::NotAccepted(None) => "the file's type cannot be told from its content".into(),
            Refusal::Truncated(k) => format!("the {} file is incomplete (cut off)", k.mime()),
        }
    }
}

/// A file fit to keep: its kind and its bytes, without metadata when it is a picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cleaned {
    pub kind: Kind,
    pub bytes: Vec<u8>,
}

/// Judges a file by its content, checks that it is whole, and strips a picture's metadata.
pub fn clean(content: &[u8]) -> Result<Cleaned, Refusal> {
    if content.is_empty() {
        return Err(Refusal::Empty);
    }
    let found = infer::get(content).map(|t| t.mime_type().to_owned());
    let kind = found
        .as_deref()
        .and_then(Kind::of_mime)
        .ok_or(Refusal::NotAccepted(found))?;
    let bytes = match kind {
        Kind::Jpeg => jpeg(content)?,
        Kind::Png => png(content)?,
        Kind::Webp => webp(content)?,
        Kind::Pdf => whole_pdf(content)
            .then(|| content.to_vec())
            .ok_or(Refusal::Truncated(kind))?,
        Kind::Mp4 => whole_mp4(content)
            .then(|| content.to_vec())
            .ok_or(Refusal::Truncated(kind))?,
    };
    Ok(Cleaned { kind, bytes })
}

/// JPEG: whole when it ends with its end-of-image marker (some cameras pad with zeros after);
/// APP1 (EXIF and XMP), APP13 (IPTC) and comments removed.
fn jpeg(content: &[u8]) -> Result<Vec<u8>, Refusal> {
    use img_parts::jpeg::{markers, Jpeg};
    let end = content
        .iter()
        .rposition(|b| *b != 0)
        .map_or(content, |i| &content[..=i]);
    if !end.ends_with(&[0xFF, 0xD9]) {
        return Err(Refusal::Truncated(Kind::Jpeg));
    }
    let mut image = Jpeg::from_bytes(Bytes::copy_from_slice(content))
        .map_err(|_| Refusal::Truncated(Kind::Jpeg))?;
    for marker in [markers::APP1, markers::APP13, markers::COM] {
        image.remove_segments_by_marker(marker);
    }
    Ok(image.encoder().bytes().to_vec())
}

/// PNG: whole when its last chunk is IEND; eXIf, text chunks (where XMP lives) and the
/// modification time removed.
fn png(content: &[u8]) -> Result<Vec<u8>, Refusal> {
    use img_parts::png::Png;
    let mut image = Png::from_bytes(Bytes::copy_from_slice(content))
        .map_err(|_| Refusal::Truncated(Kind::Png))?;
    if image.chunks().last().map(img_parts::png::PngChunk::kind) != Some(*b"IEND") {
        return Err(Refusal::Truncated(Kind::Png));
    }
    for kind in [*b"eXIf", *b"tEXt", *b"iTXt", *b"zTXt", *b"tIME"] {
        image.remove_chunks_by_type(kind);
    }
    Ok(image.encoder().bytes().to_vec())
}

/// WebP: whole when the RIFF container's size fits the file; EXIF and XMP chunks removed.
fn webp(content: &[u8]) -> Result<Vec<u8>, Refusal> {
    use img_parts::webp::WebP;
    let declared = content
        .get(4..8)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(u32::from_le_bytes)
        .and_then(|n| usize::try_from(n).ok());
    if declared.is_none_or(|n| n.saturating_add(8) > content.len()) {
        return Err(Refusal::Truncated(Kind::Webp));
    }
    let mut image = WebP::from_bytes(Bytes::copy_from_slice(content))
        .map_err(|_| Refusal::Truncated(Kind::Webp))?;
    for id in [*b"EXIF", *b"XMP "] {
        image.remove_chunks_by_id(id);
    }
    Ok(image.encoder().bytes().to_vec())
}

/// PDF: whole when its end-of-file marker is in its last kilobyte.
fn whole_pdf(content: &[u8]) -> bool {
    let tail = &content[content.len().saturating_sub(1024)..];
    tail.windows(5).any(|w| w == b"%%EOF")
}

/// MP4: whole when its top-level boxes add up to the file exactly and one of them is the movie
/// header (`moov`), without which nothing plays.
fn whole_mp4(content: &[u8]) -> bool {
    let mut at = 0_usize;
    let mut movie = false;
    while at < content.len() {
        let Some(head) = content.get(at..at + 8) else {
            return false;
        };
        let size32 = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        let size = match size32 {
            0 => content.len() - at,
            1 => match content.get(at + 8..at + 16) {
                Some(b) => b
                    .try_into()
                    .map(u64::from_be_bytes)
                    .ok()
                    .and_then(|n| usize::try_from(n).ok())
                    .unwrap_or(0),
                None => return false,
            },
            n => usize::try_from(n).unwrap_or(0),
        };
        if size < 8 {
            return false;
        }
        movie |= &head[4..8] == b"moov";
        at = match at.checked_add(size) {
            Some(next) if next <= content.len() => next,
            _ => return false,
        };
    }
    movie
}

/// The name a file is served under: its own name's safe part (letters, digits, `-`, `_`,
/// `.`, spaces as `_`, at most 80 characters), with the extension of what it really is.
pub fn served_name(name: &str, kind: Kind) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let stem = base.rsplit_once('.').map_or(base, |(s, _)| s);
    let safe: String = stem
        .chars()
        .map(|c| if c == ' ' { '_' } else { c })
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(80)
        .collect();
    let safe = safe.trim_matches('.');
    let stem = if safe.is_empty() { "bukti" } else { safe };
    format!("{stem}.{}", kind.extension())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal JPEG with an EXIF segment carrying a GPS tag name, and its image data.
    fn jpeg_with_exif() -> Vec<u8> {
        let mut v = vec![0xFF, 0xD8];
        // APP0 JFIF
        v.extend([0xFF, 0xE0, 0x00, 0x10]);
        v.extend(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        // APP1 Exif with "GPSLatitude" inside
        let exif = b"Exif\0\0MM\0*GPSLatitude-3.2";
        let len = u16::try_from(exif.len() + 2).unwrap_or(0).to_be_bytes();
        v.extend([0xFF, 0xE1, len[0], len[1]]);
        v.extend(exif);
        // SOS and some entropy-coded data, then EOI.
        v.extend([0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00]);
        v.extend([0x12, 0x34, 0x56, 0x78]);
        v.extend([0xFF, 0xD9]);
        v
    }

    #[test]
    fn a_photo_loses_its_exif_and_keeps_its_image() {
        let original = jpeg_with_exif();
        let c = clean(&original).expect("accepted");
        assert_eq!(c.kind, Kind::Jpeg);
        let has = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
        assert!(has(&original, b"GPSLatitude"));
        assert!(!has(&c.bytes, b"GPSLatitude") && !has(&c.bytes, b"Exif"));
        assert!(has(&c.bytes, b"JFIF") && c.bytes.ends_with(&[0x12, 0x34, 0x56, 0x78, 0xFF, 0xD9]));
        // Cut off before its end: refused.
        assert_eq!(
            clean(&original[..original.len() - 3]),
            Err(Refusal::Truncated(Kind::Jpeg))
        );
    }

    #[test]
    fn a_file_is_what_its_content_says() {
        assert_eq!(clean(b""), Err(Refusal::Empty));
        // A script named .jpg is not a picture.
        assert!(matches!(
            clean(b"#!/bin/sh\nrm -rf /\n"),
            Err(Refusal::NotAccepted(_))
        ));
        assert!(matches!(
            clean(b"GIF89a\x01\0\x01\0\0\0\0;"),
            Err(Refusal::NotAccepted(Some(m))) if m == "image/gif"
        ));
        let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
        assert_eq!(clean(pdf).map(|c| c.kind), Ok(Kind::Pdf));
        assert_eq!(clean(&pdf[..20]), Err(Refusal::Truncated(Kind::Pdf)));
    }

    #[test]
    fn a_video_is_whole_when_its_boxes_add_up() {
        let mut mp4 = Vec::new();
        mp4.extend(24_u32.to_be_bytes());
        mp4.extend(b"ftypisom\0\0\x02\0isomiso2");
        mp4.extend(16_u32.to_be_bytes());
        mp4.extend(b"moov\0\0\0\0\0\0\0\0");
        assert_eq!(clean(&mp4).map(|c| c.kind), Ok(Kind::Mp4));
        assert_eq!(
            clean(&mp4[..mp4.len() - 4]),
            Err(Refusal::Truncated(Kind::Mp4))
        );
    }

    #[test]
    fn served_names_are_safe_and_say_what_the_file_is() {
        assert_eq!(served_name("../../etc/passwd", Kind::Pdf), "passwd.pdf");
        assert_eq!(served_name("foto bukti.exe", Kind::Jpeg), "foto_bukti.jpg");
        assert_eq!(served_name("\"a\r\nb\".png", Kind::Png), "ab.png");
        assert_eq!(served_name("", Kind::Mp4), "bukti.mp4");
        assert_eq!(served_name("..", Kind::Mp4), "bukti.mp4");
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_are_judged_without_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = clean(&bytes);
        }

        #[test]
        fn any_name_serves_safely(name in "\\PC{0,200}") {
            let n = served_name(&name, Kind::Png);
            proptest::prop_assert!(n.rsplit_once('.').is_some_and(|(_, e)| e == "png") && n.len() <= 84);
            proptest::prop_assert!(n.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')));
        }
    }
}
