//! Measuring tool (not shipped): encodes one PNG as AVIF with ravif at each rav1e speed and
//! quality asked for, the way `codecs::avif::encode` does (8-bit, 4:4:4, alpha only when
//! some pixel is not opaque), and prints one JSON line per file written with its size and
//! encode time. `tools/sharp/avif-quality.js` scores the files against the PNG.
//!
//! usage: cargo run --example avif_sweep -- <in.png> <out-dir> <speeds,...> <qualities,...> [alpha-qualities,...]
//! With `AVIF_DEPTH=10` the encoder works in 10 bits (files are named `…_d10.avif`).

use std::time::Instant;

fn list(arg: &str) -> Vec<u8> {
    arg.split(',')
        .map(|s| s.parse().expect("a number"))
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 4 {
        eprintln!("usage: avif_sweep <in.png> <out-dir> <speeds,...> <qualities,...> [alpha-qualities,...]");
        std::process::exit(2);
    }
    let image = image::open(&args[0]).expect("readable image").to_rgba8();
    let (w, h) = (image.width() as usize, image.height() as usize);
    let has_alpha = image.pixels().any(|p| p[3] != 255);
    let rgba: Vec<ravif::RGBA8> = image
        .pixels()
        .map(|p| ravif::RGBA8::new(p[0], p[1], p[2], p[3]))
        .collect();
    let rgb: Vec<ravif::RGB8> = rgba
        .iter()
        .map(|p| ravif::RGB8::new(p.r, p.g, p.b))
        .collect();
    let alpha_qualities = args.get(4).map(|a| list(a));
    let ten_bits = std::env::var("AVIF_DEPTH").is_ok_and(|d| d == "10");
    let (depth, suffix) = if ten_bits {
        (ravif::BitDepth::Ten, "_d10")
    } else {
        (ravif::BitDepth::Eight, "")
    };
    for speed in list(&args[2]) {
        for quality in list(&args[3]) {
            for alpha_quality in alpha_qualities.clone().unwrap_or_else(|| vec![quality]) {
                let encoder = ravif::Encoder::new()
                    .with_quality(f32::from(quality))
                    .with_alpha_quality(f32::from(alpha_quality))
                    .with_speed(speed)
                    .with_bit_depth(depth)
                    .with_num_threads(Some(1));
                let start = Instant::now();
                let encoded = if has_alpha {
                    encoder.encode_rgba(ravif::Img::new(rgba.as_slice(), w, h))
                } else {
                    encoder.encode_rgb(ravif::Img::new(rgb.as_slice(), w, h))
                }
                .expect("encodes");
                let ms = start.elapsed().as_secs_f64() * 1000.0;
                let name = format!(
                    "{}/s{speed}_q{quality}_a{alpha_quality}{suffix}.avif",
                    args[1]
                );
                std::fs::write(&name, &encoded.avif_file).expect("writable output");
                println!(
                    "{{\"file\":\"{name}\",\"speed\":{speed},\"quality\":{quality},\"alpha_quality\":{alpha_quality},\"depth\":{},\"bytes\":{},\"ms\":{ms:.1}}}",
                    if ten_bits { 10 } else { 8 },
                    encoded.avif_file.len()
                );
            }
        }
    }
}
