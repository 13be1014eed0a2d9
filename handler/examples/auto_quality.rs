//! Measuring tool (not shipped, not a test): what `q=auto` saves against each lossy
//! format's fixed default, and what the search costs.
//!
//! For every image given (default: the still samples of `assets/samples`), resized to
//! `w=1200` (never enlarged) through the pipeline and kept as lossless pixels, then for
//! JPEG, WebP and AVIF, in one run: the bytes at the default quality and with `q=auto`,
//! the chosen q, the SSIMULACRA2 score of both against the pre-encode pixels (full size,
//! not the search's sample), and the encode time of each (wall and CPU, CPU covering the
//! metric's worker threads). The budget is lifted so every search finishes; its cost is
//! what the table shows.
//!
//! usage: cargo run --release -p image-service --example auto_quality [-- [--target T] [files…]]

use std::time::{Duration, Instant};

use image::DynamicImage;
use image_service::codecs::auto_quality::{self, Search, DEFAULT_TARGET};
use image_service::codecs::{self, DecodeOptions, EncodeOptions, Frame, OutputFormat};
use image_service::params::Params;
use image_service::pipeline::render_params;
use image_service::plan::Limits;
use image_service::samples::SAMPLES;

const FORMATS: [OutputFormat; 3] = [OutputFormat::Jpeg, OutputFormat::Webp, OutputFormat::Avif];

/// CPU milliseconds this process has used (user + system, all threads), from
/// /proc/self/stat at 100 ticks a second.
fn cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("Linux /proc");
    let after_name = &stat[stat.rfind(')').expect("stat format") + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks * 10.0
}

/// Runs `f`, returning its value with wall and CPU milliseconds.
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64, f64) {
    let (wall, cpu) = (Instant::now(), cpu_ms());
    let value = f();
    (value, wall.elapsed().as_secs_f64() * 1e3, cpu_ms() - cpu)
}

/// The image as the encoder would see it at `w=1200`: rendered to a lossless PNG and
/// decoded again.
fn prepared(input: &[u8]) -> DynamicImage {
    let params = Params::parse("w=1200&fm=png").unwrap();
    let png = render_params(input, &params, Limits::default()).expect("a render");
    let decoded = codecs::decode(&png.bytes, &DecodeOptions::default()).unwrap();
    decoded.frames.into_iter().next().unwrap().image
}

fn score(reference: &DynamicImage, encoded: &[u8]) -> f64 {
    let decoded = codecs::decode(encoded, &DecodeOptions::default()).unwrap();
    auto_quality::ssimulacra2(reference, &decoded.frames[0].image).unwrap()
}

fn options(format: OutputFormat, quality: Option<u8>) -> EncodeOptions<'static> {
    EncodeOptions {
        format,
        quality,
        lossless: false,
        palette: None,
        cmyk: false,
    }
}

struct Totals {
    default_bytes: usize,
    auto_bytes: usize,
    added_wall: f64,
    added_cpu: f64,
    below_target: usize,
    rows: usize,
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut target = DEFAULT_TARGET;
    if let Some(i) = args.iter().position(|a| a == "--target") {
        target = args[i + 1].parse().expect("a target score");
        args.drain(i..=i + 1);
    }
    let inputs: Vec<(String, Vec<u8>)> = if args.is_empty() {
        SAMPLES
            .iter()
            .filter(|(name, _)| !name.ends_with(".gif"))
            .map(|(name, bytes)| (name.to_string(), bytes.to_vec()))
            .collect()
    } else {
        args.iter()
            .map(|path| {
                let name = path.rsplit('/').next().unwrap().to_string();
                (name, std::fs::read(path).expect("a readable file"))
            })
            .collect()
    };
    let search = Search {
        target,
        budget: Duration::from_secs(60),
    };
    println!("q=auto at target {target} vs the fixed default, w=1200");
    println!("| image | size | format | default q | bytes | score | auto q | bytes | Δ bytes | score | trials | default ms wall/CPU | auto ms wall/CPU | added ms wall/CPU |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let mut totals: Vec<Totals> = FORMATS
        .iter()
        .map(|_| Totals {
            default_bytes: 0,
            auto_bytes: 0,
            added_wall: 0.0,
            added_cpu: 0.0,
            below_target: 0,
            rows: 0,
        })
        .collect();
    for (name, bytes) in &inputs {
        let image = prepared(bytes);
        for (format, total) in FORMATS.iter().zip(totals.iter_mut()) {
            // As the pipeline's step before the encoder: JPEG gets alpha on white.
            let mut flattened = vec![image.clone()];
            codecs::flatten_for_output(*format, false, &mut flattened);
            let image = flattened.remove(0);
            let frames = vec![Frame {
                image: image.clone(),
                delay_ms: 0,
            }];
            let (default, dw, dc) =
                timed(|| codecs::encode(&frames, 0, &options(*format, None)).unwrap());
            let ((auto, choice), aw, ac) = timed(|| {
                auto_quality::encode(&frames, 0, &options(*format, None), &search, None).unwrap()
            });
            let choice = choice.expect("a lossy format");
            let (default_score, auto_score) = (score(&image, &default), score(&image, &auto));
            let delta = 100.0 * (auto.len() as f64 / default.len() as f64 - 1.0);
            println!(
                "| {name} | {}×{} | {} | {} | {} | {default_score:.1} | {} | {} | {delta:+.0}% | {auto_score:.1} | {} | {dw:.0}/{dc:.0} | {aw:.0}/{ac:.0} | {:.0}/{:.0} |",
                image.width(),
                image.height(),
                format.name(),
                auto_quality::default_quality(*format).unwrap(),
                default.len(),
                choice.header_value(),
                auto.len(),
                choice.trials.len(),
                aw - dw,
                ac - dc,
            );
            total.default_bytes += default.len();
            total.auto_bytes += auto.len();
            total.added_wall += aw - dw;
            total.added_cpu += ac - dc;
            total.below_target += usize::from(auto_score < target);
            total.rows += 1;
        }
    }
    println!();
    println!("| format | default bytes | auto bytes | Δ | mean added ms wall/CPU | full-size score under target |");
    println!("|---|---|---|---|---|---|");
    for (format, t) in FORMATS.iter().zip(&totals) {
        println!(
            "| {} | {} | {} | {:+.0}% | {:.0}/{:.0} | {} of {} |",
            format.name(),
            t.default_bytes,
            t.auto_bytes,
            100.0 * (t.auto_bytes as f64 / t.default_bytes as f64 - 1.0),
            t.added_wall / t.rows as f64,
            t.added_cpu / t.rows as f64,
            t.below_target,
            t.rows
        );
    }
}
