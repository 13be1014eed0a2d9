//! A safe subset of a photo's EXIF, read with `kamadak-exif` from the TIFF-structured
//! block the codecs find (JPEG APP1, PNG eXIf, WebP EXIF, TIFF itself): the camera and
//! lens, the exposure (time, f-number, ISO, focal length) and when it was taken. The
//! GPS position only when the deployment allows it ([`Exif::read`]'s `gps`); serial
//! numbers, owner names, maker notes and everything else are never read out.

use ::exif::{In, Reader, Tag, Value};
use serde::Serialize;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Longest text value kept, in characters.
const MAX_TEXT_CHARS: usize = 128;

/// The fields present in the photo; absent ones are left out of the JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Exif {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub make: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The lens model, else its make.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lens: Option<String>,
    /// Seconds, as photographers write it: `1/250`, `0.5`, `2`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exposure_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub f_number: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iso: Option<u32>,
    /// Millimetres.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub focal_length: Option<f64>,
    /// `DateTimeOriginal` as ISO 8601 (`2014-09-01T15:03:47`), with the offset when the
    /// photo records one (`OffsetTimeOriginal`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_taken: Option<String>,
}

/// Where the photo was taken, in decimal degrees (north and east positive).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Gps {
    pub latitude: f64,
    pub longitude: f64,
    /// Metres above sea level (negative below), when recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub altitude: Option<f64>,
}

impl Exif {
    /// The subset of `block` (TIFF-structured), and the position when `gps`. `None`
    /// for a block that does not parse or holds none of the fields.
    pub fn read(block: &[u8], gps: bool) -> (Option<Exif>, Option<Gps>) {
        // kamadak-exif is careful, but one malformed photo must never fail a request.
        let parsed = catch_unwind(AssertUnwindSafe(|| Reader::new().read_raw(block.to_vec())));
        let Ok(Ok(exif)) = parsed else {
            return (None, None);
        };
        let field = |tag| exif.get_field(tag, In::PRIMARY).map(|f| &f.value);
        let subset = Exif {
            make: field(Tag::Make).and_then(text),
            model: field(Tag::Model).and_then(text),
            lens: field(Tag::LensModel)
                .and_then(text)
                .or_else(|| field(Tag::LensMake).and_then(text)),
            exposure_time: field(Tag::ExposureTime).and_then(exposure),
            f_number: field(Tag::FNumber).and_then(rational).map(round2),
            iso: field(Tag::PhotographicSensitivity).and_then(|v| v.get_uint(0)),
            focal_length: field(Tag::FocalLength).and_then(rational).map(round2),
            date_taken: field(Tag::DateTimeOriginal)
                .and_then(text)
                .and_then(|date| iso_date(&date, field(Tag::OffsetTimeOriginal).and_then(text))),
        };
        let position = gps.then(|| position(&field)).flatten();
        ((subset != Exif::default()).then_some(subset), position)
    }
}

/// An ASCII value's first string, trimmed; `None` when empty.
fn text(value: &Value) -> Option<String> {
    let Value::Ascii(strings) = value else {
        return None;
    };
    let raw = String::from_utf8_lossy(strings.first()?);
    let cleaned: String = raw
        .trim_matches(|c: char| c == '\0' || c.is_whitespace())
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_TEXT_CHARS)
        .collect();
    (!cleaned.is_empty()).then_some(cleaned)
}

/// An unsigned rational at `index`, when its denominator is not 0.
fn rational_at(value: &Value, index: usize) -> Option<f64> {
    match value {
        Value::Rational(values) => values
            .get(index)
            .filter(|r| r.denom != 0)
            .map(|r| r.to_f64()),
        _ => None,
    }
}

fn rational(value: &Value) -> Option<f64> {
    rational_at(value, 0).filter(|x| x.is_finite() && *x > 0.0)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// `1/250` for exposures under a second (from the reciprocal, so 10/2500 is 1/250
/// too), else seconds with at most one decimal (`2`, `2.5`).
fn exposure(value: &Value) -> Option<String> {
    let seconds = rational(value)?;
    if seconds < 1.0 {
        let reciprocal = (1.0 / seconds).round();
        Some(format!("1/{reciprocal}"))
    } else {
        let tenths = (seconds * 10.0).round() / 10.0;
        Some(format!("{tenths}"))
    }
}

/// `YYYY:MM:DD HH:MM:SS` (EXIF's form) as `YYYY-MM-DDTHH:MM:SS`, plus `±HH:MM`.
fn iso_date(date: &str, offset: Option<String>) -> Option<String> {
    let b = date.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b.get(range)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    let shaped = b.len() >= 19
        && digits(0..4)
        && b[4] == b':'
        && digits(5..7)
        && b[7] == b':'
        && digits(8..10)
        && matches!(b[10], b' ' | b'T')
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    if !shaped || &date[..4] == "0000" {
        return None;
    }
    let mut out = format!(
        "{}-{}-{}T{}",
        &date[..4],
        &date[5..7],
        &date[8..10],
        &date[11..19]
    );
    if let Some(offset) = offset.filter(|o| {
        let o = o.as_bytes();
        o.len() == 6 && matches!(o[0], b'+' | b'-') && o[3] == b':'
    }) {
        out.push_str(&offset);
    }
    Some(out)
}

/// Degrees, minutes and seconds with their reference (N/S, E/W) as signed degrees.
fn degrees(value: Option<&Value>, reference: Option<&Value>, negative: u8) -> Option<f64> {
    let value = value?;
    let (d, m, s) = (
        rational_at(value, 0)?,
        rational_at(value, 1).unwrap_or(0.0),
        rational_at(value, 2).unwrap_or(0.0),
    );
    let magnitude = d + m / 60.0 + s / 3600.0;
    let sign = match reference.and_then(text) {
        Some(r) if r.as_bytes().first() == Some(&negative) => -1.0,
        _ => 1.0,
    };
    Some(((sign * magnitude) * 1e6).round() / 1e6)
}

fn position<'a>(field: &impl Fn(Tag) -> Option<&'a Value>) -> Option<Gps> {
    let latitude = degrees(field(Tag::GPSLatitude), field(Tag::GPSLatitudeRef), b'S')?;
    let longitude = degrees(field(Tag::GPSLongitude), field(Tag::GPSLongitudeRef), b'W')?;
    if !(-90.0..=90.0).contains(&latitude) || !(-180.0..=180.0).contains(&longitude) {
        return None;
    }
    let below = matches!(field(Tag::GPSAltitudeRef), Some(Value::Byte(b)) if b.first() == Some(&1));
    let altitude = field(Tag::GPSAltitude)
        .and_then(|v| rational_at(v, 0))
        .map(|m| round2(if below { -m } else { m }));
    Some(Gps {
        latitude,
        longitude,
        altitude,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const IPHONE: &[u8] = include_bytes!("../../tests/fixtures/exif/iphone-4s-gps.jpg");
    const CANON: &[u8] = include_bytes!("../../tests/fixtures/exif/canon-eos-t4i.jpg");

    /// The EXIF block as the JPEG codec finds it (APP1).
    fn block(jpeg: &[u8]) -> Vec<u8> {
        crate::codecs::details(jpeg)
            .unwrap()
            .exif
            .expect("an EXIF block")
    }

    /// The Canon sample keeps only the segments before the image data (not a
    /// decodable JPEG): its APP1 block, read by hand (SOI, then APP1 with its length).
    fn canon_block() -> Vec<u8> {
        assert_eq!(&CANON[..4], &[0xFF, 0xD8, 0xFF, 0xE1]);
        let len = usize::from(u16::from_be_bytes([CANON[4], CANON[5]]));
        assert_eq!(&CANON[6..12], b"Exif\0\0");
        CANON[12..4 + len].to_vec()
    }

    /// Expected values from goexif's regression table for the same files
    /// (`exif/regress_expected_test.go`), an independent EXIF reader: ExposureTime
    /// 1/1284, FNumber 12/5, ISO 50, FocalLength 107/25, GPS 59° 19' 57.17" N,
    /// 18° 3' 53.79" E, 29 m.
    #[test]
    fn iphone_subset_and_position() {
        let (exif, gps) = Exif::read(&block(IPHONE), true);
        let exif = exif.expect("a subset");
        assert_eq!(
            exif,
            Exif {
                make: Some("Apple".into()),
                model: Some("iPhone 4S".into()),
                lens: Some("iPhone 4S back camera 4.28mm f/2.4".into()),
                exposure_time: Some("1/1284".into()),
                f_number: Some(2.4),
                iso: Some(50),
                focal_length: Some(4.28),
                date_taken: Some("2014-09-01T15:03:47".into()),
            }
        );
        assert_eq!(
            gps,
            Some(Gps {
                latitude: 59.332547,
                longitude: 18.064942,
                altitude: Some(29.0),
            })
        );
        // Off: the same block gives no position, and the same subset.
        assert_eq!(Exif::read(&block(IPHONE), false), (Some(exif), None));
    }

    /// goexif's table: ExposureTime 1/30, FNumber 45/10, ISO 1600, FocalLength 24/1;
    /// the GPS IFD holds only a version, so there is no position even when allowed.
    #[test]
    fn canon_subset_without_a_position() {
        let (exif, gps) = Exif::read(&canon_block(), true);
        let exif = exif.unwrap();
        assert_eq!(exif.make.as_deref(), Some("Canon"));
        assert_eq!(exif.model.as_deref(), Some("Canon EOS REBEL T4i"));
        assert_eq!(exif.lens.as_deref(), Some("EF-S18-55mm f/3.5-5.6 IS II"));
        assert_eq!(exif.exposure_time.as_deref(), Some("1/30"));
        assert_eq!(
            (exif.f_number, exif.iso, exif.focal_length),
            (Some(4.5), Some(1600), Some(24.0))
        );
        assert_eq!(exif.date_taken.as_deref(), Some("2012-12-21T11:15:19"));
        assert_eq!(gps, None);
    }

    #[test]
    fn dates_and_exposures_in_the_forms_people_read() {
        assert_eq!(
            iso_date("2019:05:01 12:00:00", None).as_deref(),
            Some("2019-05-01T12:00:00")
        );
        assert_eq!(
            iso_date("2019:05:01 12:00:00", Some("+02:00".into())).as_deref(),
            Some("2019-05-01T12:00:00+02:00")
        );
        assert_eq!(
            iso_date("2019:05:01 12:00:00", Some("bogus".into())).as_deref(),
            Some("2019-05-01T12:00:00")
        );
        for bad in [
            "0000:00:00 00:00:00",
            "    :  :     :  :  ",
            "2019-05-01",
            "",
        ] {
            assert_eq!(iso_date(bad, None), None, "{bad:?}");
        }
        let r = |num, denom| Value::Rational(vec![::exif::Rational { num, denom }]);
        assert_eq!(exposure(&r(1, 250)).as_deref(), Some("1/250"));
        assert_eq!(exposure(&r(10, 2500)).as_deref(), Some("1/250"));
        assert_eq!(exposure(&r(5, 2)).as_deref(), Some("2.5"));
        assert_eq!(exposure(&r(30, 1)).as_deref(), Some("30"));
        assert_eq!(exposure(&r(1, 0)), None);
        assert_eq!(exposure(&r(0, 1)), None);
    }

    #[test]
    fn broken_blocks_give_nothing_and_never_panic() {
        assert_eq!(Exif::read(&[], true), (None, None));
        assert_eq!(Exif::read(b"II*\0garbage", true), (None, None));
        let good = block(IPHONE);
        for len in (0..good.len()).step_by(7) {
            let _ = Exif::read(&good[..len], true);
        }
        let mut flipped = good.clone();
        for i in (8..flipped.len()).step_by(13) {
            flipped[i] ^= 0x5a;
        }
        let _ = Exif::read(&flipped, true);
    }
}
