//! Palette quantisation for PNG output when a quality is given (Sharp's `png({quality})`,
//! which implies `palette: true`, up to 256 colours, dither 1.0). Our own quantiser, not
//! libimagequant (GPL-3):
//!
//! 1. a histogram of the distinct colours, in premultiplied RGBA (0–1), every fully
//!    transparent pixel counted as one colour;
//! 2. greedy variance splitting: the box with the largest squared error is cut along its
//!    widest axis where the two halves' summed error is least, up to 256 boxes, noting
//!    the total error after each cut;
//! 3. the fewest boxes whose mean squared error is within the quality's budget
//!    ([`mse_budget`]), then a few k-means passes over the histogram;
//! 4. each pixel mapped to its nearest entry with Floyd–Steinberg error diffusion.
//!
//! Like libimagequant, a lower quality means fewer colours, never a fixed count.

use std::collections::HashMap;

use image::RgbaImage;

/// An indexed image: entries are straight (not premultiplied) RGBA.
pub(super) struct Indexed {
    pub palette: Vec<[u8; 4]>,
    pub indices: Vec<u8>,
}

const MAX_COLOURS: usize = 256;
/// Histograms are built from at most this many pixels (evenly strided).
const MAX_SAMPLES: usize = 1 << 20;
const KMEANS_PASSES: usize = 8;

/// The mean squared error (premultiplied RGBA in 0–1, mean over the four channels,
/// before dithering) allowed at `quality`. Calibrated so that our colour counts follow
/// Sharp 0.35.5's on photos at 250 px (q 10/30/50/70/90: Sharp 51/101/190/256/256 and
/// 19/29/48/101/256 colours on two photos); 100 allows no error at all.
pub(super) fn mse_budget(quality: u8) -> f64 {
    if quality >= 100 {
        return 0.0;
    }
    3.0e-4 * (-0.027 * f64::from(quality)).exp()
}

type Colour = [f32; 4];

#[derive(Clone, Copy)]
struct Entry {
    colour: Colour,
    weight: f32,
}

fn premultiplied(p: [u8; 4]) -> Colour {
    let a = f32::from(p[3]) / 255.0;
    [
        f32::from(p[0]) / 255.0 * a,
        f32::from(p[1]) / 255.0 * a,
        f32::from(p[2]) / 255.0 * a,
        a,
    ]
}

fn straight(c: Colour) -> [u8; 4] {
    let a = c[3].clamp(0.0, 1.0);
    if a <= 0.5 / 255.0 {
        return [0, 0, 0, 0];
    }
    let to = |v: f32| (v * 255.0).round().clamp(0.0, 255.0) as u8;
    [to(c[0] / a), to(c[1] / a), to(c[2] / a), to(a)]
}

fn distance(a: &Colour, b: &Colour) -> f32 {
    (0..4).map(|i| (a[i] - b[i]) * (a[i] - b[i])).sum()
}

fn histogram(image: &RgbaImage) -> Vec<Entry> {
    let pixels = image.as_raw().chunks_exact(4);
    let step = (pixels.len() / MAX_SAMPLES).max(1);
    let mut counts: HashMap<[u8; 4], u32> = HashMap::new();
    for p in pixels.step_by(step) {
        let key = if p[3] == 0 {
            [0; 4]
        } else {
            [p[0], p[1], p[2], p[3]]
        };
        *counts.entry(key).or_insert(0) += 1;
    }
    let mut entries: Vec<Entry> = counts
        .into_iter()
        .map(|(k, n)| Entry {
            colour: premultiplied(k),
            weight: n as f32,
        })
        .collect();
    // HashMap order is random: sort so that the output is deterministic.
    entries.sort_by(|a, b| a.colour.partial_cmp(&b.colour).unwrap());
    entries
}

/// A box of histogram entries `start..end` with its weighted sums.
#[derive(Clone, Copy)]
struct Cell {
    start: usize,
    end: usize,
    error: f64,
}

fn sums(entries: &[Entry]) -> (f64, [f64; 4], f64) {
    let mut w = 0.0;
    let mut s = [0.0; 4];
    let mut s2 = 0.0;
    for e in entries {
        let ew = f64::from(e.weight);
        w += ew;
        for (si, &c) in s.iter_mut().zip(&e.colour) {
            let v = f64::from(c);
            *si += ew * v;
            s2 += ew * v * v;
        }
    }
    (w, s, s2)
}

fn error_of(w: f64, s: &[f64; 4], s2: f64) -> f64 {
    if w <= 0.0 {
        return 0.0;
    }
    (s2 - s.iter().map(|v| v * v).sum::<f64>() / w).max(0.0)
}

fn mean(entries: &[Entry]) -> Colour {
    let (w, s, _) = sums(entries);
    let w = w.max(f64::MIN_POSITIVE);
    [
        (s[0] / w) as f32,
        (s[1] / w) as f32,
        (s[2] / w) as f32,
        (s[3] / w) as f32,
    ]
}

/// Cuts `cell` in two where the halves' error is least, along the axis of largest spread.
/// Returns the two cells, or `None` for a cell of one colour.
fn split(entries: &mut [Entry], cell: Cell) -> Option<(Cell, Cell)> {
    let part = &mut entries[cell.start..cell.end];
    if part.len() < 2 {
        return None;
    }
    let (w, s, _) = sums(part);
    let axis = (0..4)
        .map(|i| {
            let m = s[i] / w;
            let var: f64 = part
                .iter()
                .map(|e| f64::from(e.weight) * (f64::from(e.colour[i]) - m).powi(2))
                .sum();
            (i, var)
        })
        .max_by(|a, b| a.1.partial_cmp(&b.1).unwrap())?
        .0;
    part.sort_by(|a, b| a.colour[axis].partial_cmp(&b.colour[axis]).unwrap());
    // Prefix sums: the error of the left part for every cut.
    let (mut lw, mut ls, mut ls2) = (0.0, [0.0; 4], 0.0);
    let (tw, ts, ts2) = sums(part);
    let mut best = (f64::INFINITY, 0, 0.0, 0.0);
    for k in 1..part.len() {
        let e = part[k - 1];
        let ew = f64::from(e.weight);
        lw += ew;
        for (si, &c) in ls.iter_mut().zip(&e.colour) {
            let v = f64::from(c);
            *si += ew * v;
            ls2 += ew * v * v;
        }
        if part[k].colour[axis] == e.colour[axis] {
            continue;
        }
        let rs = [ts[0] - ls[0], ts[1] - ls[1], ts[2] - ls[2], ts[3] - ls[3]];
        let left = error_of(lw, &ls, ls2);
        let right = error_of(tw - lw, &rs, ts2 - ls2);
        if left + right < best.0 {
            best = (left + right, k, left, right);
        }
    }
    if !best.0.is_finite() {
        return None;
    }
    let (_, k, left, right) = best;
    let cut = cell.start + k;
    Some((
        Cell {
            start: cell.start,
            end: cut,
            error: left,
        },
        Cell {
            start: cut,
            end: cell.end,
            error: right,
        },
    ))
}

fn nearest(palette: &[Colour], c: &Colour) -> usize {
    let mut best = (f32::INFINITY, 0);
    for (i, p) in palette.iter().enumerate() {
        let d = distance(p, c);
        if d < best.0 {
            best = (d, i);
        }
    }
    best.1
}

/// The palette for `quality`: the fewest cells within [`mse_budget`], refined by k-means.
fn palette_for(entries: &mut [Entry], quality: u8) -> Vec<Colour> {
    let (w, s, s2) = sums(entries);
    // The budget is per visible pixel: a mostly transparent image is not let off lightly.
    let visible: f64 = entries
        .iter()
        .filter(|e| e.colour[3] > 0.0)
        .map(|e| f64::from(e.weight))
        .sum();
    let budget = mse_budget(quality) * 4.0 * visible.max(1.0);
    let mut cells = vec![Cell {
        start: 0,
        end: entries.len(),
        error: error_of(w, &s, s2),
    }];
    while cells.len() < MAX_COLOURS {
        let total: f64 = cells.iter().map(|c| c.error).sum();
        // Float noise leaves a little error on cells of one colour: 1e-9 is far below 1 level.
        if total <= budget.max(1e-9 * w) {
            break;
        }
        let (i, _) = cells
            .iter()
            .enumerate()
            .filter(|(_, c)| c.end - c.start > 1)
            .max_by(|a, b| a.1.error.partial_cmp(&b.1.error).unwrap())
            .unwrap_or((usize::MAX, &cells[0]));
        if i == usize::MAX {
            break;
        }
        match split(entries, cells[i]) {
            Some((a, b)) => {
                cells[i] = a;
                cells.push(b);
            }
            None => cells[i].error = 0.0,
        }
    }
    let mut palette: Vec<Colour> = cells
        .iter()
        .map(|c| mean(&entries[c.start..c.end]))
        .collect();
    for _ in 0..KMEANS_PASSES {
        let mut acc = vec![([0f64; 4], 0f64); palette.len()];
        for e in entries.iter() {
            let j = nearest(&palette, &e.colour);
            for (a, &c) in acc[j].0.iter_mut().zip(&e.colour) {
                *a += f64::from(e.weight) * f64::from(c);
            }
            acc[j].1 += f64::from(e.weight);
        }
        for (p, (s, w)) in palette.iter_mut().zip(acc) {
            if w > 0.0 {
                *p = [
                    (s[0] / w) as f32,
                    (s[1] / w) as f32,
                    (s[2] / w) as f32,
                    (s[3] / w) as f32,
                ];
            }
        }
    }
    palette
}

/// Quantises `image` to at most 256 colours for `quality` (1–100), dithered.
pub(super) fn quantise(image: &RgbaImage, quality: u8) -> Indexed {
    quantise_with(image, quality, true)
}

pub(super) fn quantise_with(image: &RgbaImage, quality: u8, diffuse: bool) -> Indexed {
    let mut entries = histogram(image);
    let mut palette = palette_for(&mut entries, quality);
    // Exact straight-alpha entries, then premultiplied again for matching, so what is
    // matched is what is written. Translucent entries first: tRNS can stop at the last one.
    let mut straight_palette: Vec<[u8; 4]> = palette.iter().map(|&c| straight(c)).collect();
    straight_palette.sort_by_key(|p| (p[3] == 255, *p));
    straight_palette.dedup();
    palette = straight_palette.iter().map(|&p| premultiplied(p)).collect();
    let indices = if diffuse {
        dither(image, &palette)
    } else {
        let mut cache: HashMap<[u8; 4], u8> = HashMap::new();
        image
            .pixels()
            .map(|p| {
                *cache
                    .entry(p.0)
                    .or_insert_with(|| nearest(&palette, &premultiplied(p.0)) as u8)
            })
            .collect()
    };
    Indexed {
        palette: straight_palette,
        indices,
    }
}

/// Floyd–Steinberg in premultiplied space (dither 1.0, Sharp's default). Pixels whose
/// colour is in the palette and carry no error are matched exactly.
fn dither(image: &RgbaImage, palette: &[Colour]) -> Vec<u8> {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let mut indices = Vec::with_capacity(w * h);
    let mut cur = vec![[0f32; 4]; w + 2];
    let mut next = vec![[0f32; 4]; w + 2];
    let mut cache: HashMap<[u8; 4], usize> = HashMap::new();
    let raw = image.as_raw();
    for y in 0..h {
        for x in 0..w {
            let o = (y * w + x) * 4;
            let px = [raw[o], raw[o + 1], raw[o + 2], raw[o + 3]];
            let err = cur[x + 1];
            let mut t = premultiplied(px);
            let quiet = err.iter().all(|e| e.abs() < 0.5 / 255.0);
            let j = if quiet {
                *cache.entry(px).or_insert_with(|| nearest(palette, &t))
            } else {
                for (v, e) in t.iter_mut().zip(err) {
                    *v = (*v + e).clamp(0.0, 1.0);
                }
                // Colour cannot exceed alpha in premultiplied form.
                let alpha = t[3];
                for v in &mut t[..3] {
                    *v = v.min(alpha);
                }
                nearest(palette, &t)
            };
            indices.push(j as u8);
            let e: Colour = std::array::from_fn(|i| t[i] - palette[j][i]);
            let spread = |cell: &mut Colour, share: f32| {
                for (v, e) in cell.iter_mut().zip(e) {
                    *v += e * share;
                }
            };
            spread(&mut cur[x + 2], 7.0 / 16.0);
            spread(&mut next[x], 3.0 / 16.0);
            spread(&mut next[x + 1], 5.0 / 16.0);
            spread(&mut next[x + 2], 1.0 / 16.0);
        }
        std::mem::swap(&mut cur, &mut next);
        next.iter_mut().for_each(|e| *e = [0.0; 4]);
    }
    indices
}
