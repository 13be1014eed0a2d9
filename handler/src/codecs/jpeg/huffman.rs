//! Optimised Huffman tables for a baseline JPEG, computed after encoding.
//!
//! libjpeg's own `optimize_coding` keeps the quantised coefficients of the whole image
//! (2 bytes per sample: 51 MB for a 17 MP 4:2:0 output) for its second pass. The
//! Huffman *symbols* (size categories and zero runs) do not depend on the tables, so
//! the same result can be had from the finished file: encode with the standard tables
//! (streaming, no coefficient buffer), then read the entropy-coded data twice — once to
//! count symbols, once to write them again with tables built from those counts (ITU T.81
//! Annex K.2, the procedure libjpeg follows too). The extra bits after each symbol are
//! copied unchanged, so the pixels are exactly the same.
//!
//! Only what our encoder writes is handled: one baseline (SOF0) frame, one scan with
//! every component, no restart markers. Anything else returns `None` and the caller
//! keeps the file as it was.

/// Lengths and values of one Huffman table as stored in a DHT segment.
#[derive(Clone, Debug, PartialEq, Eq)]
struct HuffmanSpec {
    /// `counts[i]` = number of codes of length `i + 1`.
    counts: [u8; 16],
    values: Vec<u8>,
}

/// Bits looked up at once: 2 KB per table stays in L1 (a 16-bit table of 128 KB did not,
/// and cost a third of a `bl=5` job); longer codes are rare and take the slow path.
const FAST_BITS: u32 = 10;

/// Decoding tables: a direct lookup for codes up to `FAST_BITS` long, and per length
/// the largest code and where its values start, for the longer ones (T.81 F.2.2.3).
struct DecodeTable {
    /// (symbol, code length) by the next `FAST_BITS` bits; length 0 = a longer code.
    fast: Vec<(u8, u8)>,
    /// Per length 1..=16: one past the largest code of that length (0 if none).
    max_code: [u32; 17],
    /// Per length: code value minus index into `values` of its first code.
    offset: [i32; 17],
    values: Vec<u8>,
}
/// Code and length per symbol, for writing.
struct EncodeTable {
    codes: [(u16, u8); 256],
}

/// Codes in canonical order: (length, code, symbol).
fn canonical_codes(spec: &HuffmanSpec) -> Option<Vec<(u8, u16, u8)>> {
    let mut codes = Vec::with_capacity(spec.values.len());
    let mut code: u32 = 0;
    let mut values = spec.values.iter();
    for (i, &count) in spec.counts.iter().enumerate() {
        let length = i as u8 + 1;
        for _ in 0..count {
            if code >= 1 << length {
                return None; // more codes than this length allows
            }
            codes.push((length, code as u16, *values.next()?));
            code += 1;
        }
        code <<= 1;
    }
    Some(codes)
}

impl DecodeTable {
    fn new(spec: &HuffmanSpec) -> Option<DecodeTable> {
        let mut table = DecodeTable {
            fast: vec![(0, 0); 1 << FAST_BITS],
            max_code: [0; 17],
            offset: [0; 17],
            values: spec.values.clone(),
        };
        for (index, (length, code, symbol)) in canonical_codes(spec)?.into_iter().enumerate() {
            let len = usize::from(length);
            if table.max_code[len] == 0 {
                table.offset[len] = i32::from(code) - index as i32;
            }
            table.max_code[len] = u32::from(code) + 1;
            if u32::from(length) <= FAST_BITS {
                let shift = FAST_BITS - u32::from(length);
                let start = usize::from(code) << shift;
                table.fast[start..start + (1 << shift)].fill((symbol, length));
            }
        }
        Some(table)
    }

    /// The symbol whose code starts the 16 bits `peek`, and its length.
    fn lookup(&self, peek: u16) -> Option<(u8, u8)> {
        let (symbol, length) = self.fast[usize::from(peek >> (16 - FAST_BITS))];
        if length != 0 {
            return Some((symbol, length));
        }
        for length in FAST_BITS as usize + 1..=16 {
            let code = u32::from(peek) >> (16 - length);
            if code < self.max_code[length] {
                let index = code as i32 - self.offset[length];
                let symbol = *self.values.get(usize::try_from(index).ok()?)?;
                return Some((symbol, length as u8));
            }
        }
        None
    }
}

impl EncodeTable {
    fn new(spec: &HuffmanSpec) -> Option<EncodeTable> {
        let mut codes = [(0u16, 0u8); 256];
        for (length, code, symbol) in canonical_codes(spec)? {
            codes[usize::from(symbol)] = (code, length);
        }
        Some(EncodeTable { codes })
    }
}

/// Builds the table for these symbol counts as ITU T.81 K.2 describes: Huffman's
/// procedure (ties: the higher symbol number merges first) with a reserved pseudo-symbol
/// 256 so that no real code is all ones, then lengths over 16 bits folded down.
fn optimal_table(counts: &[u64; 256]) -> HuffmanSpec {
    const MAX_CODE_LENGTH: usize = 32;
    let mut freq = [0u64; 257];
    freq[..256].copy_from_slice(counts);
    freq[256] = 1;
    let mut code_size = [0usize; 257];
    let mut others = [usize::MAX; 257];
    // Index of the least frequent nonzero entry other than `except`; on ties the last.
    let least = |freq: &[u64; 257], except: usize| {
        let mut found = None;
        let mut lowest = u64::MAX;
        for (i, &f) in freq.iter().enumerate() {
            if f != 0 && f <= lowest && i != except {
                lowest = f;
                found = Some(i);
            }
        }
        found
    };
    while let Some(mut c1) = least(&freq, usize::MAX) {
        let Some(mut c2) = least(&freq, c1) else {
            break;
        };
        freq[c1] += freq[c2];
        freq[c2] = 0;
        // Every symbol in both merged trees gets one bit longer; chain c2's onto c1's.
        code_size[c1] += 1;
        while others[c1] != usize::MAX {
            c1 = others[c1];
            code_size[c1] += 1;
        }
        others[c1] = c2;
        code_size[c2] += 1;
        while others[c2] != usize::MAX {
            c2 = others[c2];
            code_size[c2] += 1;
        }
    }
    let mut bits = [0u32; MAX_CODE_LENGTH + 1];
    for &size in code_size.iter().filter(|&&s| s > 0) {
        // 257 symbols cannot need more than 256 bits; 32 is libjpeg's bound too and
        // holds for any counts that fit in memory (depth grows with log of the total).
        bits[size.min(MAX_CODE_LENGTH)] += 1;
    }
    // Fold codes longer than 16 bits: take two from the longest length, give their
    // prefix one level up, and split a shorter code into two.
    for i in (17..=MAX_CODE_LENGTH).rev() {
        while bits[i] > 0 {
            let mut j = i - 2;
            while bits[j] == 0 {
                j -= 1;
            }
            bits[i] -= 2;
            bits[i - 1] += 1;
            bits[j + 1] += 2;
            bits[j] -= 1;
        }
    }
    // Drop the reserved symbol: it holds one of the longest codes.
    let mut longest = 16;
    while bits[longest] == 0 {
        longest -= 1;
    }
    bits[longest] -= 1;
    let mut spec = HuffmanSpec {
        counts: [0; 16],
        values: Vec::new(),
    };
    for (i, count) in spec.counts.iter_mut().enumerate() {
        *count = bits[i + 1] as u8;
    }
    // Values in order of code length, then symbol number.
    for length in 1..=MAX_CODE_LENGTH {
        for (symbol, &size) in code_size[..256].iter().enumerate() {
            if size == length {
                spec.values.push(symbol as u8);
            }
        }
    }
    spec
}

/// Reads entropy-coded bits, removing the stuffed zero after each 0xFF.
struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
    buffer: u64,
    bits: u32,
    /// Bits loaded from the data (not from the zero padding past its end).
    loaded: u64,
    consumed: u64,
}

impl<'a> BitReader<'a> {
    fn new(data: &'a [u8]) -> Self {
        BitReader {
            data,
            pos: 0,
            buffer: 0,
            bits: 0,
            loaded: 0,
            consumed: 0,
        }
    }

    fn fill(&mut self) {
        while self.bits <= 56 {
            let byte = match self.data.get(self.pos) {
                Some(&0xFF) if self.data.get(self.pos + 1) == Some(&0x00) => {
                    self.pos += 2;
                    0xFF
                }
                // A marker or the end: pad with zeros (`overran` tells if they were used).
                Some(&0xFF) | None => {
                    self.bits += 8;
                    continue;
                }
                Some(&b) => {
                    self.pos += 1;
                    b
                }
            };
            self.buffer |= u64::from(byte) << (56 - self.bits);
            self.bits += 8;
            self.loaded += 8;
        }
    }

    fn consume(&mut self, n: u32) {
        self.buffer <<= n;
        self.bits -= n;
        self.consumed += u64::from(n);
    }

    /// `n` ≤ 16 bits as an unsigned number.
    fn read(&mut self, n: u32) -> u32 {
        if n == 0 {
            return 0;
        }
        if self.bits < n {
            self.fill();
        }
        let value = (self.buffer >> (64 - n)) as u32;
        self.consume(n);
        value
    }

    fn decode(&mut self, table: &DecodeTable) -> Option<u8> {
        if self.bits < 16 {
            self.fill();
        }
        let (symbol, length) = table.lookup((self.buffer >> 48) as u16)?;
        self.consume(u32::from(length));
        Some(symbol)
    }

    /// True once bits past the end of the data were read.
    fn overran(&self) -> bool {
        self.consumed > self.loaded
    }
}

/// Writes entropy-coded bits, stuffing a zero after each 0xFF.
struct BitWriter {
    out: Vec<u8>,
    buffer: u64,
    bits: u32,
}

impl BitWriter {
    fn write(&mut self, value: u32, n: u32) {
        if n == 0 {
            return;
        }
        self.buffer = (self.buffer << n) | u64::from(value & ((1u32 << n) - 1));
        self.bits += n;
        while self.bits >= 8 {
            self.bits -= 8;
            let byte = (self.buffer >> self.bits) as u8;
            self.out.push(byte);
            if byte == 0xFF {
                self.out.push(0);
            }
        }
    }

    /// Pads the last byte with ones, as T.81 F.1.2.3 asks.
    fn finish(mut self) -> Vec<u8> {
        if self.bits > 0 {
            let pad = 8 - self.bits;
            self.write((1 << pad) - 1, pad);
        }
        self.out
    }
}

/// What the headers say about the one scan.
struct Scan {
    /// Table selectors (DC, AC) of each block of one MCU, in order.
    mcu_blocks: Vec<(usize, usize)>,
    mcus: usize,
    /// Byte range of the entropy-coded data.
    data: std::ops::Range<usize>,
}

/// Parsed file layout: where DHT segments sit (to leave out) and the tables they define.
struct Layout {
    dc: [Option<HuffmanSpec>; 4],
    ac: [Option<HuffmanSpec>; 4],
    /// Byte ranges of the DHT segments (marker included).
    dht_segments: Vec<std::ops::Range<usize>>,
    /// Where the SOS marker starts.
    sos_start: usize,
    scan: Scan,
}

fn parse(jpeg: &[u8]) -> Option<Layout> {
    if !jpeg.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut dc: [Option<HuffmanSpec>; 4] = Default::default();
    let mut ac: [Option<HuffmanSpec>; 4] = Default::default();
    let mut dht_segments = Vec::new();
    // (id, h, v) per frame component.
    let mut components: Vec<(u8, usize, usize)> = Vec::new();
    let (mut width, mut height) = (0usize, 0usize);
    let mut pos = 2;
    loop {
        if jpeg.get(pos) != Some(&0xFF) {
            return None;
        }
        let marker = *jpeg.get(pos + 1)?;
        let len = usize::from(u16::from_be_bytes([
            *jpeg.get(pos + 2)?,
            *jpeg.get(pos + 3)?,
        ]));
        let segment = jpeg.get(pos + 4..pos + 2 + len)?;
        match marker {
            0xC0 => {
                // Baseline only; precision 8.
                if segment.len() < 6 || segment[0] != 8 {
                    return None;
                }
                height = usize::from(u16::from_be_bytes([segment[1], segment[2]]));
                width = usize::from(u16::from_be_bytes([segment[3], segment[4]]));
                let n = usize::from(segment[5]);
                let specs = segment.get(6..6 + 3 * n)?;
                for c in specs.chunks_exact(3) {
                    let (h, v) = (usize::from(c[1] >> 4), usize::from(c[1] & 15));
                    if !(1..=4).contains(&h) || !(1..=4).contains(&v) {
                        return None;
                    }
                    components.push((c[0], h, v));
                }
            }
            0xC1..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => return None,
            0xDD => return None, // restart intervals: not written by our encoder
            0xC4 => {
                let mut rest = segment;
                while !rest.is_empty() {
                    let (class, id) = (rest[0] >> 4, usize::from(rest[0] & 15));
                    let counts: [u8; 16] = rest.get(1..17)?.try_into().ok()?;
                    let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
                    let values = rest.get(17..17 + total)?.to_vec();
                    let spec = HuffmanSpec { counts, values };
                    match (class, id) {
                        (0, 0..=3) => dc[id] = Some(spec),
                        (1, 0..=3) => ac[id] = Some(spec),
                        _ => return None,
                    }
                    rest = &rest[17 + total..];
                }
                dht_segments.push(pos..pos + 2 + len);
            }
            0xDA => {
                if width == 0 || height == 0 || components.is_empty() {
                    return None;
                }
                let n = usize::from(*segment.first()?);
                let selectors = segment.get(1..1 + 2 * n)?;
                // Spectral selection 0..63, no successive approximation: sequential.
                if segment.get(1 + 2 * n..4 + 2 * n)? != [0, 63, 0] {
                    return None;
                }
                // One scan with every component (what libjpeg writes for baseline).
                if n != components.len() {
                    return None;
                }
                let h_max = components.iter().map(|c| c.1).max()?;
                let v_max = components.iter().map(|c| c.2).max()?;
                let mut mcu_blocks = Vec::new();
                for s in selectors.chunks_exact(2) {
                    let &(_, h, v) = components.iter().find(|c| c.0 == s[0])?;
                    let tables = (usize::from(s[1] >> 4), usize::from(s[1] & 15));
                    if tables.0 > 3 || tables.1 > 3 {
                        return None;
                    }
                    // A single-component scan has one block per MCU (T.81 A.2.2).
                    let blocks = if n == 1 { 1 } else { h * v };
                    mcu_blocks.extend(std::iter::repeat_n(tables, blocks));
                }
                let mcus = if n == 1 {
                    let (_, h, v) = components[0];
                    let cw = (width * h).div_ceil(h_max);
                    let ch = (height * v).div_ceil(v_max);
                    cw.div_ceil(8) * ch.div_ceil(8)
                } else {
                    width.div_ceil(8 * h_max) * height.div_ceil(8 * v_max)
                };
                let start = pos + 2 + len;
                let end = jpeg.len().checked_sub(2)?;
                if jpeg.get(end..)? != [0xFF, 0xD9] || start > end {
                    return None;
                }
                return Some(Layout {
                    dc,
                    ac,
                    dht_segments,
                    sos_start: pos,
                    scan: Scan {
                        mcu_blocks,
                        mcus,
                        data: start..end,
                    },
                });
            }
            _ => {}
        }
        pos += 2 + len;
    }
}

/// Walks every block of the scan, calling `on_symbol(class, table, symbol, extra bits)`
/// for each Huffman symbol; `None` if the data does not decode with the file's tables.
fn walk(
    jpeg: &[u8],
    layout: &Layout,
    mut on_symbol: impl FnMut(Class, usize, u8, u32),
) -> Option<()> {
    let dc: Vec<Option<DecodeTable>> = layout
        .dc
        .iter()
        .map(|s| s.as_ref().and_then(DecodeTable::new))
        .collect();
    let ac: Vec<Option<DecodeTable>> = layout
        .ac
        .iter()
        .map(|s| s.as_ref().and_then(DecodeTable::new))
        .collect();
    let mut reader = BitReader::new(&jpeg[layout.scan.data.clone()]);
    for _ in 0..layout.scan.mcus {
        for &(dc_id, ac_id) in &layout.scan.mcu_blocks {
            let (dc_table, ac_table) = (dc[dc_id].as_ref()?, ac[ac_id].as_ref()?);
            let size = reader.decode(dc_table)?;
            if size > 11 {
                return None;
            }
            let extra = reader.read(u32::from(size));
            on_symbol(Class::Dc, dc_id, size, extra);
            let mut k = 1;
            while k < 64 {
                let symbol = reader.decode(ac_table)?;
                let (run, size) = (symbol >> 4, symbol & 15);
                let extra = reader.read(u32::from(size));
                on_symbol(Class::Ac, ac_id, symbol, extra);
                if size == 0 {
                    if run != 15 {
                        break; // end of block
                    }
                    k += 16;
                } else {
                    k += usize::from(run) + 1;
                }
            }
            if k > 64 {
                return None;
            }
        }
    }
    // Everything decoded must have come from the data, not the padding after it.
    (!reader.overran()).then_some(())
}

#[derive(Clone, Copy)]
enum Class {
    Dc,
    Ac,
}

/// The same JPEG with Huffman tables optimised for its own symbols, or `None` when the
/// file is not one this rewriter handles (the caller keeps the original).
pub(super) fn optimize_huffman(jpeg: &[u8]) -> Option<Vec<u8>> {
    let layout = parse(jpeg)?;
    let mut dc_counts = [[0u64; 256]; 4];
    let mut ac_counts = [[0u64; 256]; 4];
    walk(jpeg, &layout, |class, table, symbol, _| match class {
        Class::Dc => dc_counts[table][usize::from(symbol)] += 1,
        Class::Ac => ac_counts[table][usize::from(symbol)] += 1,
    })?;
    // New tables, in the order libjpeg emits them: per scan component, DC then AC.
    let mut dc_new: [Option<HuffmanSpec>; 4] = Default::default();
    let mut ac_new: [Option<HuffmanSpec>; 4] = Default::default();
    let mut dht = Vec::new();
    let mut emitted = ([false; 4], [false; 4]);
    for &(d, a) in &layout.scan.mcu_blocks {
        if !emitted.0[d] {
            emitted.0[d] = true;
            let spec = optimal_table(&dc_counts[d]);
            push_dht(&mut dht, 0, d, &spec);
            dc_new[d] = Some(spec);
        }
        if !emitted.1[a] {
            emitted.1[a] = true;
            let spec = optimal_table(&ac_counts[a]);
            push_dht(&mut dht, 1, a, &spec);
            ac_new[a] = Some(spec);
        }
    }
    let dc_enc: Vec<Option<EncodeTable>> = dc_new
        .iter()
        .map(|s| s.as_ref().and_then(EncodeTable::new))
        .collect();
    let ac_enc: Vec<Option<EncodeTable>> = ac_new
        .iter()
        .map(|s| s.as_ref().and_then(EncodeTable::new))
        .collect();

    // Headers: everything before SOS except the old DHT segments, then the new ones.
    let mut out = Vec::with_capacity(jpeg.len());
    let mut pos = 0;
    for range in &layout.dht_segments {
        out.extend_from_slice(&jpeg[pos..range.start]);
        pos = range.end;
    }
    out.extend_from_slice(&jpeg[pos..layout.sos_start]);
    out.extend_from_slice(&dht);
    out.extend_from_slice(&jpeg[layout.sos_start..layout.scan.data.start]);

    let mut writer = BitWriter {
        out,
        buffer: 0,
        bits: 0,
    };
    let mut missing = false;
    walk(jpeg, &layout, |class, table, symbol, extra| {
        let codes = match class {
            Class::Dc => dc_enc[table].as_ref(),
            Class::Ac => ac_enc[table].as_ref(),
        };
        let Some((code, length)) = codes.map(|t| t.codes[usize::from(symbol)]) else {
            missing = true;
            return;
        };
        if length == 0 {
            missing = true; // cannot happen: every counted symbol has a code
            return;
        }
        writer.write(u32::from(code), u32::from(length));
        writer.write(extra, u32::from(symbol & 15));
    })?;
    if missing {
        return None;
    }
    let mut out = writer.finish();
    out.extend_from_slice(&[0xFF, 0xD9]);
    Some(out)
}

fn push_dht(out: &mut Vec<u8>, class: u8, id: usize, spec: &HuffmanSpec) {
    let len = 2 + 1 + 16 + spec.values.len();
    out.extend_from_slice(&[0xFF, 0xC4]);
    out.extend_from_slice(&(len as u16).to_be_bytes());
    out.push((class << 4) | id as u8);
    out.extend_from_slice(&spec.counts);
    out.extend_from_slice(&spec.values);
}

#[cfg(test)]
mod tests {
    use super::*;
    use turbojpeg::{Compressor, Image, PixelFormat, Subsamp};

    /// A photo-like test card: gradients, hard edges and deterministic noise.
    fn pixels(width: usize, height: usize, channels: usize) -> Vec<u8> {
        let mut state = 0x2545_f491_u32;
        let mut out = Vec::with_capacity(width * height * channels);
        for y in 0..height {
            for x in 0..width {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                let noise = (state % 24) as usize;
                for c in 0..channels {
                    let base = match c {
                        0 => x * 255 / width.max(1),
                        1 => y * 255 / height.max(1),
                        _ => {
                            if (x / 37 + y / 23) % 2 == 0 {
                                40
                            } else {
                                220
                            }
                        }
                    };
                    out.push((base + noise).min(255) as u8);
                }
            }
        }
        out
    }

    fn encode(
        width: usize,
        height: usize,
        grey: bool,
        subsamp: Subsamp,
        quality: i32,
        optimize: bool,
    ) -> Vec<u8> {
        let (format, channels) = if grey {
            (PixelFormat::GRAY, 1)
        } else {
            (PixelFormat::RGB, 3)
        };
        let data = pixels(width, height, channels);
        let mut compressor = Compressor::new().unwrap();
        compressor.set_quality(quality).unwrap();
        compressor
            .set_subsamp(if grey { Subsamp::Gray } else { subsamp })
            .unwrap();
        compressor.set_optimize(optimize).unwrap();
        compressor
            .compress_to_vec(Image {
                pixels: &data[..],
                width,
                pitch: width * channels,
                height,
                format,
            })
            .unwrap()
    }

    #[test]
    fn gives_the_bytes_libjpeg_would_write_with_optimize_coding() {
        let cases = [
            (640, 480, false, Subsamp::Sub2x2, 80),
            (1001, 677, false, Subsamp::Sub2x2, 75),
            (333, 211, false, Subsamp::None, 95),
            (257, 129, false, Subsamp::Sub2x1, 60),
            (500, 301, true, Subsamp::Gray, 80),
            (1, 1, false, Subsamp::Sub2x2, 80),
            (17, 9, true, Subsamp::Gray, 100),
            (64, 64, false, Subsamp::Sub2x2, 1),
        ];
        for (w, h, grey, subsamp, q) in cases {
            let standard = encode(w, h, grey, subsamp, q, false);
            let libjpeg = encode(w, h, grey, subsamp, q, true);
            let ours = optimize_huffman(&standard)
                .unwrap_or_else(|| panic!("{w}x{h} grey={grey} q={q}: not rewritten"));
            assert_eq!(ours.len(), libjpeg.len(), "{w}x{h} grey={grey} q={q}: size");
            assert!(ours == libjpeg, "{w}x{h} grey={grey} q={q}: bytes differ");
            assert!(ours.len() <= standard.len());
        }
    }

    #[test]
    fn decodes_to_the_same_pixels() {
        let standard = encode(803, 419, false, Subsamp::Sub2x2, 85, false);
        let ours = optimize_huffman(&standard).unwrap();
        let decode = |jpeg: &[u8]| {
            turbojpeg::decompress(jpeg, PixelFormat::RGB)
                .unwrap()
                .pixels
        };
        assert_eq!(decode(&ours), decode(&standard));
        assert!(
            ours.len() < standard.len() * 97 / 100,
            "{} vs {}",
            ours.len(),
            standard.len()
        );
    }

    #[test]
    fn refuses_what_it_does_not_handle() {
        let standard = encode(64, 48, false, Subsamp::Sub2x2, 80, false);
        // Truncated entropy data, a missing end marker, not a JPEG, progressive.
        let mut truncated = standard[..standard.len() - 200].to_vec();
        truncated.extend_from_slice(&[0xFF, 0xD9]);
        assert!(optimize_huffman(&truncated).is_none());
        assert!(optimize_huffman(&standard[..standard.len() - 2]).is_none());
        assert!(optimize_huffman(b"not a jpeg").is_none());
        assert!(optimize_huffman(&[]).is_none());
        let mut compressor = Compressor::new().unwrap();
        compressor.set_progressive(true).unwrap();
        let data = pixels(64, 48, 3);
        let progressive = compressor
            .compress_to_vec(Image {
                pixels: &data[..],
                width: 64,
                pitch: 192,
                height: 48,
                format: PixelFormat::RGB,
            })
            .unwrap();
        assert!(optimize_huffman(&progressive).is_none());
        // Every prefix of the file is refused or (never) accepted as something shorter.
        for cut in (4..standard.len()).step_by(7) {
            let _ = optimize_huffman(&standard[..cut]);
        }
    }

    #[test]
    fn optimal_table_of_two_symbols_gives_one_bit_codes_and_no_all_ones_code() {
        let mut counts = [0u64; 256];
        counts[0] = 10;
        counts[5] = 3;
        let spec = optimal_table(&counts);
        let codes = canonical_codes(&spec).unwrap();
        assert_eq!(codes.len(), 2);
        for (length, code, _) in codes {
            assert_ne!(u32::from(code), (1u32 << length) - 1, "all-ones code");
        }
    }

    #[test]
    fn optimal_table_keeps_codes_within_16_bits_for_skewed_counts() {
        // Fibonacci-like counts would give codes far longer than 16 bits unfolded.
        let mut counts = [0u64; 256];
        let (mut a, mut b) = (1u64, 1u64);
        for count in counts.iter_mut().take(40) {
            *count = a;
            (a, b) = (b, a + b);
        }
        let spec = optimal_table(&counts);
        assert_eq!(spec.values.len(), 40);
        assert_eq!(
            spec.counts.iter().map(|&c| usize::from(c)).sum::<usize>(),
            40
        );
        // Kraft: the code space is not over-full.
        let kraft: f64 = spec
            .counts
            .iter()
            .enumerate()
            .map(|(i, &c)| f64::from(c) / f64::from(1u32 << (i + 1)))
            .sum();
        assert!(kraft < 1.0);
        assert!(canonical_codes(&spec).is_some());
    }
}
