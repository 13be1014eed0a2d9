//! The TIFF header and first IFD, read by hand: every tag as stored, so that decoding can
//! decide for itself what it supports (no pixel data is touched here).

use crate::error::Error;

use super::bad;

/// One directory entry: field type, count and the bytes of its value(s).
struct Entry<'a> {
    tag: u16,
    kind: u16,
    count: u64,
    data: &'a [u8],
}

/// The first image file directory of a (Big)TIFF.
pub(super) struct Ifd<'a> {
    pub(super) little_endian: bool,
    entries: Vec<Entry<'a>>,
}

fn type_size(kind: u16) -> Option<u64> {
    Some(match kind {
        1 | 2 | 6 | 7 => 1,
        3 | 8 => 2,
        4 | 9 | 11 | 13 => 4,
        5 | 10 | 12 | 16 | 17 | 18 => 8,
        _ => return None,
    })
}

/// At most this many entries are read from a directory (real files have a few dozen).
const MAX_ENTRIES: u64 = 4096;

impl<'a> Ifd<'a> {
    pub(super) fn parse(bytes: &'a [u8]) -> Result<Ifd<'a>, Error> {
        let little_endian = match bytes.get(..2) {
            Some(b"II") => true,
            Some(b"MM") => false,
            _ => return Err(bad("no TIFF byte-order mark")),
        };
        let rd = Reader {
            bytes,
            little_endian,
        };
        let (big, ifd_offset) = match rd.u16(2) {
            Some(42) => (false, rd.u32(4).map(u64::from)),
            Some(43) => (true, rd.u64(8)),
            _ => return Err(bad("not a TIFF header")),
        };
        let at = ifd_offset.ok_or_else(|| bad("the header ends early"))?;
        let (count, first, entry_len, inline) = if big {
            (rd.u64(at), at + 8, 20, 8)
        } else {
            (rd.u16(at).map(u64::from), at + 2, 12, 4)
        };
        let count = count.ok_or_else(|| bad("the directory is outside the file"))?;
        let mut entries = Vec::new();
        for i in 0..count.min(MAX_ENTRIES) {
            let pos = first + i * entry_len;
            let (Some(tag), Some(kind)) = (rd.u16(pos), rd.u16(pos + 2)) else {
                return Err(bad("the directory ends early"));
            };
            let n = if big {
                rd.u64(pos + 4)
            } else {
                rd.u32(pos + 4).map(u64::from)
            };
            let n = n.ok_or_else(|| bad("the directory ends early"))?;
            // Unknown field types are skipped, as readers do.
            let Some(size) = type_size(kind) else {
                continue;
            };
            let len = size
                .checked_mul(n)
                .ok_or_else(|| bad("a tag is too long"))?;
            let value_at = if len <= inline {
                pos + if big { 12 } else { 8 }
            } else if big {
                rd.u64(pos + 12)
                    .ok_or_else(|| bad("the directory ends early"))?
            } else {
                u64::from(
                    rd.u32(pos + 8)
                        .ok_or_else(|| bad("the directory ends early"))?,
                )
            };
            // A value outside the file is dropped (a tag we may never need).
            if let Some(data) = rd.slice(value_at, len) {
                entries.push(Entry {
                    tag,
                    kind,
                    count: n,
                    data,
                });
            }
        }
        Ok(Ifd {
            little_endian,
            entries,
        })
    }

    fn entry(&self, tag: u16) -> Option<&Entry<'a>> {
        self.entries.iter().find(|e| e.tag == tag)
    }

    pub(super) fn has(&self, tag: u16) -> bool {
        self.entry(tag).is_some()
    }

    /// The tag's entry, a reader over its value bytes and its value count (one that fits
    /// in memory).
    fn entry_reader(&self, tag: u16) -> Option<(&Entry<'a>, Reader<'a>, u64)> {
        let e = self.entry(tag)?;
        let rd = Reader {
            bytes: e.data,
            little_endian: self.little_endian,
        };
        usize::try_from(e.count).ok()?;
        Some((e, rd, e.count))
    }

    /// Unsigned integer values (BYTE, SHORT, LONG, LONG8, IFD).
    pub(super) fn uints(&self, tag: u16) -> Option<Vec<u64>> {
        let (e, rd, n) = self.entry_reader(tag)?;
        (0..n)
            .map(|i| match e.kind {
                1 | 7 => rd.u8(i).map(u64::from),
                3 => rd.u16(i * 2).map(u64::from),
                4 | 13 => rd.u32(i * 4).map(u64::from),
                16 | 18 => rd.u64(i * 8),
                _ => None,
            })
            .collect()
    }

    pub(super) fn uint(&self, tag: u16) -> Option<u64> {
        self.uints(tag)?.first().copied()
    }

    /// Rational, float or integer values as `f64`.
    pub(super) fn reals(&self, tag: u16) -> Option<Vec<f64>> {
        let (e, rd, n) = self.entry_reader(tag)?;
        (0..n)
            .map(|i| match e.kind {
                5 => {
                    let (a, b) = (rd.u32(i * 8)?, rd.u32(i * 8 + 4)?);
                    Some(if b == 0 {
                        0.0
                    } else {
                        f64::from(a) / f64::from(b)
                    })
                }
                10 => {
                    let (a, b) = (rd.u32(i * 8)? as i32, rd.u32(i * 8 + 4)? as i32);
                    Some(if b == 0 {
                        0.0
                    } else {
                        f64::from(a) / f64::from(b)
                    })
                }
                11 => rd.u32(i * 4).map(|v| f64::from(f32::from_bits(v))),
                12 => rd.u64(i * 8).map(f64::from_bits),
                _ => None,
            })
            .collect::<Option<Vec<f64>>>()
            .or_else(|| Some(self.uints(tag)?.into_iter().map(|v| v as f64).collect()))
    }

    /// The raw bytes of a BYTE/UNDEFINED tag (ICC profile, JPEG tables).
    pub(super) fn bytes(&self, tag: u16) -> Option<&'a [u8]> {
        self.entry(tag)
            .filter(|e| matches!(e.kind, 1 | 7))
            .map(|e| e.data)
    }
}

/// Bounds-checked reads in the file's byte order.
#[derive(Clone, Copy)]
pub(super) struct Reader<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) little_endian: bool,
}

impl<'a> Reader<'a> {
    pub(super) fn slice(&self, at: u64, len: u64) -> Option<&'a [u8]> {
        let start = usize::try_from(at).ok()?;
        let end = start.checked_add(usize::try_from(len).ok()?)?;
        self.bytes.get(start..end)
    }

    fn array<const N: usize>(&self, at: u64) -> Option<[u8; N]> {
        let mut a: [u8; N] = self.slice(at, N as u64)?.try_into().ok()?;
        if !self.little_endian {
            a.reverse();
        }
        Some(a)
    }

    fn u8(&self, at: u64) -> Option<u8> {
        self.slice(at, 1).map(|s| s[0])
    }
    pub(super) fn u16(&self, at: u64) -> Option<u16> {
        self.array(at).map(u16::from_le_bytes)
    }
    pub(super) fn u32(&self, at: u64) -> Option<u32> {
        self.array(at).map(u32::from_le_bytes)
    }
    pub(super) fn u64(&self, at: u64) -> Option<u64> {
        self.array(at).map(u64::from_le_bytes)
    }
}
