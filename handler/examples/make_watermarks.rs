//! Draws the service's own watermark assets (no third-party artwork, so they carry the
//! repository's MIT licence): `cargo run --example make_watermarks -- <out dir>`.
//! Shapes are anti-aliased by 4×4 supersampling.

use image::{Rgba, RgbaImage};

/// 5×7 capitals, one string per row, `#` = ink.
fn glyph(c: char) -> [&'static str; 7] {
    match c {
        'I' => [
            "#####", "..#..", "..#..", "..#..", "..#..", "..#..", "#####",
        ],
        'M' => [
            "#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#",
        ],
        'A' => [
            ".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#",
        ],
        'G' => [
            ".###.", "#...#", "#....", "#.###", "#...#", "#...#", ".###.",
        ],
        'E' => [
            "#####", "#....", "#....", "####.", "#....", "#....", "#####",
        ],
        'S' => [
            ".###.", "#...#", "#....", ".###.", "....#", "#...#", ".###.",
        ],
        'R' => [
            "####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#",
        ],
        'V' => [
            "#...#", "#...#", "#...#", "#...#", "#...#", ".#.#.", "..#..",
        ],
        'C' => [
            ".###.", "#...#", "#....", "#....", "#....", "#...#", ".###.",
        ],
        '-' => [
            ".....", ".....", ".....", ".###.", ".....", ".....", ".....",
        ],
        _ => ["....."; 7],
    }
}

type Shape = Box<dyn Fn(f64, f64) -> bool>;

fn rounded_rect(x0: f64, y0: f64, x1: f64, y1: f64, r: f64) -> Shape {
    Box::new(move |x, y| {
        if x < x0 || x > x1 || y < y0 || y > y1 {
            return false;
        }
        let cx = x.clamp(x0 + r, x1 - r);
        let cy = y.clamp(y0 + r, y1 - r);
        (x - cx).powi(2) + (y - cy).powi(2) <= r * r
    })
}

fn circle(cx: f64, cy: f64, r: f64) -> Shape {
    Box::new(move |x, y| (x - cx).powi(2) + (y - cy).powi(2) <= r * r)
}

fn triangle(a: (f64, f64), b: (f64, f64), c: (f64, f64)) -> Shape {
    Box::new(move |x, y| {
        let side = |p: (f64, f64), q: (f64, f64)| (q.0 - p.0) * (y - p.1) - (q.1 - p.1) * (x - p.0);
        let (d1, d2, d3) = (side(a, b), side(b, c), side(c, a));
        (d1 >= 0.0 && d2 >= 0.0 && d3 >= 0.0) || (d1 <= 0.0 && d2 <= 0.0 && d3 <= 0.0)
    })
}

fn text(s: &str, x0: f64, y0: f64, scale: f64) -> Shape {
    let chars: Vec<char> = s.chars().collect();
    Box::new(move |x, y| {
        let (gx, gy) = ((x - x0) / scale, (y - y0) / scale);
        if gx < 0.0 || !(0.0..7.0).contains(&gy) {
            return false;
        }
        let (cell, col) = ((gx / 6.0) as usize, (gx % 6.0) as usize);
        match chars.get(cell) {
            Some(&c) if col < 5 => glyph(c)[gy as usize].as_bytes()[col] == b'#',
            _ => false,
        }
    })
}

/// Paints `shape` in `colour` over `img`, anti-aliased.
fn paint(img: &mut RgbaImage, shape: &Shape, colour: [u8; 4]) {
    const N: u32 = 4;
    for (x, y, px) in img.enumerate_pixels_mut() {
        let mut hits = 0;
        for sy in 0..N {
            for sx in 0..N {
                let fx = x as f64 + (sx as f64 + 0.5) / N as f64;
                let fy = y as f64 + (sy as f64 + 0.5) / N as f64;
                hits += u32::from(shape(fx, fy));
            }
        }
        if hits == 0 {
            continue;
        }
        let sa = f64::from(colour[3]) / 255.0 * f64::from(hits) / f64::from(N * N);
        let da = f64::from(px[3]) / 255.0;
        let oa = sa + da * (1.0 - sa);
        let mut out = [0u8; 4];
        for c in 0..3 {
            let v = (f64::from(colour[c]) * sa + f64::from(px[c]) * da * (1.0 - sa)) / oa;
            out[c] = v.round() as u8;
        }
        out[3] = (oa * 255.0).round() as u8;
        *px = Rgba(out);
    }
}

/// A rounded label with the image mark (frame, mountain, sun) and the service name.
fn label(bg: [u8; 4], ink: [u8; 4]) -> RgbaImage {
    let (w, h) = (212u32, 44u32);
    let mut img = RgbaImage::new(w, h);
    paint(
        &mut img,
        &rounded_rect(0.5, 0.5, w as f64 - 0.5, h as f64 - 0.5, 12.0),
        bg,
    );
    // The mark: a frame with a mountain and a sun.
    paint(&mut img, &rounded_rect(9.0, 8.0, 37.0, 36.0, 5.0), ink);
    paint(
        &mut img,
        &rounded_rect(12.0, 11.0, 34.0, 33.0, 3.0),
        [bg[0], bg[1], bg[2], 255],
    );
    paint(
        &mut img,
        &triangle((13.0, 32.0), (22.0, 18.0), (31.0, 32.0)),
        ink,
    );
    paint(
        &mut img,
        &triangle((24.0, 32.0), (29.0, 24.0), (34.0, 32.0)),
        ink,
    );
    paint(&mut img, &circle(28.5, 16.5, 2.8), ink);
    paint(&mut img, &text("IMAGE-SERVICE", 46.0, 15.0, 2.0), ink);
    img
}

/// A small round mark for corners: a disc with the mountain and sun cut in.
fn corner() -> RgbaImage {
    let mut img = RgbaImage::new(48, 48);
    paint(&mut img, &circle(24.0, 24.0, 22.5), [255, 255, 255, 190]);
    let ink = [32, 32, 40, 230];
    paint(
        &mut img,
        &triangle((9.0, 33.0), (20.0, 15.0), (31.0, 33.0)),
        ink,
    );
    paint(
        &mut img,
        &triangle((25.0, 33.0), (32.0, 23.0), (39.0, 33.0)),
        ink,
    );
    paint(&mut img, &circle(33.0, 15.0, 3.5), ink);
    img
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "assets/watermarks".into());
    std::fs::create_dir_all(&dir).expect("create output dir");
    let assets = [
        (
            "image-service.png",
            label([255, 255, 255, 150], [24, 24, 32, 230]),
        ),
        (
            "image-service-dark.png",
            label([16, 16, 24, 140], [255, 255, 255, 235]),
        ),
        ("corner.png", corner()),
    ];
    for (name, img) in assets {
        let path = format!("{dir}/{name}");
        img.save(&path).expect("write png");
        println!("{path} {}x{}", img.width(), img.height());
    }
}
