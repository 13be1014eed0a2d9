//! The description text of an ICC profile, by our own small reader: the header's tag
//! table, then the `desc` tag as either of its two encodings — `textDescriptionType`
//! (ICC v2: an ASCII count and text) or `multiLocalizedUnicodeType` (`mluc`, ICC v4:
//! UTF-16BE records per language; English preferred). A profile whose `desc` is
//! missing or malformed has no description (`None`); nothing here panics or reads
//! outside the profile.

/// Longest description kept, in characters (real ones are under 100).
const MAX_CHARS: usize = 256;

const HEADER_LEN: usize = 128;

fn be32(bytes: &[u8], at: usize) -> Option<usize> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
}

/// The profile's description (`desc` tag), trimmed; `None` when there is none.
pub fn description(profile: &[u8]) -> Option<String> {
    let tag = tag(profile, b"desc")?;
    let text = match tag.get(..4)? {
        b"desc" => text_description(tag)?,
        b"mluc" => multi_localized(tag)?,
        // `textType`, which a few writers use for `desc`: ASCII after the type header.
        b"text" => ascii(tag.get(8..)?),
        _ => return None,
    };
    let text: String = text
        .trim_matches(|c: char| c == '\0' || c.is_whitespace())
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_CHARS)
        .collect();
    (!text.is_empty()).then_some(text)
}

/// The data of the tag `signature`, from the tag table after the 128-byte header.
fn tag<'a>(profile: &'a [u8], signature: &[u8; 4]) -> Option<&'a [u8]> {
    let count = be32(profile, HEADER_LEN)?;
    // Each entry is 12 bytes; a count past the end of the profile is malformed.
    let table = profile.get(HEADER_LEN + 4..HEADER_LEN + 4 + count.checked_mul(12)?)?;
    table.chunks_exact(12).find_map(|entry| {
        if &entry[..4] != signature {
            return None;
        }
        let offset = be32(entry, 4)?;
        let size = be32(entry, 8)?;
        profile.get(offset..offset.checked_add(size)?)
    })
}

/// `textDescriptionType`: type, reserved, then the ASCII count (with its NUL) and text.
fn text_description(tag: &[u8]) -> Option<String> {
    let count = be32(tag, 8)?;
    let text = tag.get(12..12usize.checked_add(count)?)?;
    Some(ascii(text))
}

/// `multiLocalizedUnicodeType`: type, reserved, record count, record size (12), then
/// records of language (2), country (2), length and offset (from the tag's start) of
/// UTF-16BE text. en-US first, then any English, then the first record.
fn multi_localized(tag: &[u8]) -> Option<String> {
    let count = be32(tag, 8)?;
    let record_size = be32(tag, 12)?;
    if record_size < 12 {
        return None;
    }
    let records: Vec<&[u8]> = (0..count)
        .map_while(|i| {
            let at = 16usize.checked_add(i.checked_mul(record_size)?)?;
            tag.get(at..at + 12)
        })
        .collect();
    let rank = |record: &&[u8]| match (&record[0..2], &record[2..4]) {
        (b"en", b"US") => 0,
        (b"en", _) => 1,
        _ => 2,
    };
    let record = records.iter().min_by_key(|r| rank(r))?;
    let length = be32(record, 4)?;
    let offset = be32(record, 8)?;
    let text = tag.get(offset..offset.checked_add(length)?)?;
    let units: Vec<u16> = text
        .chunks_exact(2)
        .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
        .collect();
    Some(String::from_utf16_lossy(&units))
}

/// Text up to its first NUL; bytes past ASCII become U+FFFD.
fn ascii(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A profile of `tags` (signature, data) after a zeroed 128-byte header, written by
    /// hand from the ICC layout (ICC.1:2010, 7.3).
    fn profile(tags: &[(&[u8; 4], Vec<u8>)]) -> Vec<u8> {
        let table_len = 4 + 12 * tags.len();
        let mut out = vec![0u8; HEADER_LEN];
        out.extend_from_slice(&(tags.len() as u32).to_be_bytes());
        let mut data = Vec::new();
        for (signature, bytes) in tags {
            let offset = HEADER_LEN + table_len + data.len();
            out.extend_from_slice(*signature);
            out.extend_from_slice(&(offset as u32).to_be_bytes());
            out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
            data.extend_from_slice(bytes);
            while data.len() % 4 != 0 {
                data.push(0);
            }
        }
        out.extend_from_slice(&data);
        let len = out.len() as u32;
        out[..4].copy_from_slice(&len.to_be_bytes());
        out
    }

    fn v2_desc(text: &str) -> Vec<u8> {
        let mut tag = b"desc\0\0\0\0".to_vec();
        tag.extend_from_slice(&(text.len() as u32 + 1).to_be_bytes());
        tag.extend_from_slice(text.as_bytes());
        tag.push(0);
        // The Unicode and ScriptCode parts, empty, as v2 writers add them.
        tag.extend_from_slice(&[0; 4 + 4 + 2 + 1 + 67]);
        tag
    }

    fn mluc(records: &[(&str, &str, &str)]) -> Vec<u8> {
        let mut tag = b"mluc\0\0\0\0".to_vec();
        tag.extend_from_slice(&(records.len() as u32).to_be_bytes());
        tag.extend_from_slice(&12u32.to_be_bytes());
        let mut strings = Vec::new();
        let base = 16 + 12 * records.len();
        for (language, country, text) in records {
            let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
            tag.extend_from_slice(language.as_bytes());
            tag.extend_from_slice(country.as_bytes());
            tag.extend_from_slice(&(utf16.len() as u32).to_be_bytes());
            tag.extend_from_slice(&((base + strings.len()) as u32).to_be_bytes());
            strings.extend_from_slice(&utf16);
        }
        tag.extend_from_slice(&strings);
        tag
    }

    #[test]
    fn reads_v2_text_descriptions() {
        let p = profile(&[
            (b"cprt", b"text\0\0\0\0(c) nobody\0".to_vec()),
            (b"desc", v2_desc("sRGB IEC61966-2.1")),
        ]);
        assert_eq!(description(&p).as_deref(), Some("sRGB IEC61966-2.1"));
    }

    #[test]
    fn reads_v4_mluc_preferring_english() {
        let p = profile(&[(
            b"desc",
            mluc(&[
                ("de", "DE", "Farbprofil"),
                ("en", "GB", "Colour profile"),
                ("en", "US", "Color profile"),
            ]),
        )]);
        assert_eq!(description(&p).as_deref(), Some("Color profile"));
        let p = profile(&[(
            b"desc",
            mluc(&[("fr", "FR", "Profil"), ("en", "GB", "Display P3")]),
        )]);
        assert_eq!(description(&p).as_deref(), Some("Display P3"));
        let p = profile(&[(b"desc", mluc(&[("ja", "JP", "ディスプレイ")]))]);
        assert_eq!(description(&p).as_deref(), Some("ディスプレイ"));
    }

    /// Our reader against moxcms's (an independent ICC parser) on the profiles the
    /// project ships and the fixtures embed: the same text. A wrong tag (the copyright)
    /// would not match.
    #[test]
    fn agrees_with_moxcms_on_real_profiles() {
        use moxcms::{ColorProfile, ProfileText};
        let shipped = include_bytes!("../codecs/cmyk_profile.icc");
        let p3 = ColorProfile::new_display_p3().encode().unwrap();
        let mut checked = 0;
        for bytes in [shipped.as_slice(), p3.as_slice()] {
            let theirs = match ColorProfile::new_from_slice(bytes).unwrap().description {
                Some(ProfileText::PlainString(s)) => s,
                Some(ProfileText::Localizable(records)) => records[0].value.clone(),
                Some(ProfileText::Description(d)) => d.ascii_string,
                None => continue,
            };
            let ours = description(bytes).expect("a description");
            assert_eq!(ours, theirs.trim_matches(char::from(0)).trim());
            let copyright = tag(bytes, b"cprt").map(|t| String::from_utf8_lossy(t).into_owned());
            assert!(copyright.is_none_or(|c| !c.contains(&ours)), "{ours}");
            checked += 1;
        }
        assert!(checked >= 1);
    }

    #[test]
    fn malformed_profiles_have_no_description_and_never_panic() {
        assert_eq!(description(&[]), None);
        assert_eq!(description(&[0; 132]), None);
        let good = profile(&[(b"desc", v2_desc("x"))]);
        // Every truncation, and a tag count, offset and size pointing past the end.
        for len in 0..good.len() {
            let _ = description(&good[..len]);
        }
        let mut huge_count = good.clone();
        huge_count[128..132].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(description(&huge_count), None);
        let mut far = good.clone();
        far[136..140].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(description(&far), None);
        let mut bad_mluc = profile(&[(b"desc", mluc(&[("en", "US", "x")]))]);
        let at = bad_mluc.len() - 2 - 4;
        bad_mluc[at..at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(description(&bad_mluc), None);
        let unknown = profile(&[(b"desc", b"XYZ \0\0\0\0\0\0\0\0".to_vec())]);
        assert_eq!(description(&unknown), None);
    }
}
