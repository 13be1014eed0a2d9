//! Faces found and the time `p=face` costs, for the report:
//! `cargo run --release --example face_detect -- [<image>...]`.
//!
//! For each image: its size, the decode time, the detection time (median of 5 runs:
//! the greyscale copy of at most 640 px plus the detector) and each face box in the
//! image's pixels. Without arguments it reads the face fixture and the samples, and
//! builds two 12 MP JPEGs (4000×3000, quality 90): the portrait scaled to 2400 px on a
//! noisy canvas, and the landscape sample scaled up (no face). For those it also times
//! whole renders through the pipeline (`w=400&h=400` with `p=face`, `p=attention` and
//! centre gravity), where the JPEG is shrunk on load.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use image::{DynamicImage, RgbImage};
use image_service::codecs::{self, DecodeOptions};
use image_service::ops::face;
use image_service::params::Params;
use image_service::pipeline::{self, Limits};

fn main() {
    let args: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    let first = Instant::now();
    face::detect(&DynamicImage::new_luma8(64, 64)).expect("detector runs");
    println!(
        "model parse + first run on 64x64: {:.1} ms",
        ms(first.elapsed())
    );
    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    let synthetic = args.is_empty();
    if synthetic {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let portrait = root.join("tests/fixtures/faces/astronaut.jpg");
        let landscape = root.join("../assets/samples/Landscape_6.jpg");
        inputs.push(read(&portrait));
        for name in [
            "Landscape_6.jpg",
            "Landscape_8.jpg",
            "progressive_3.jpg",
            "blackbug.png",
        ] {
            inputs.push(read(&root.join("../assets/samples").join(name)));
        }
        inputs.push(("12 MP portrait scene".into(), portrait_scene(&portrait)));
        inputs.push(("12 MP landscape".into(), upscaled(&landscape)));
    } else {
        inputs.extend(args.iter().map(|p| read(p)));
    }
    for (name, bytes) in &inputs {
        report(name, bytes);
    }
    if synthetic {
        for (name, bytes) in &inputs[inputs.len() - 2..] {
            for query in [
                "w=400&h=400&p=face",
                "w=400&h=400&p=attention",
                "w=400&h=400",
            ] {
                let params = Params::parse(query).unwrap();
                let mut times: Vec<Duration> = (0..5)
                    .map(|_| {
                        let t = Instant::now();
                        pipeline::render_params(bytes, &params, Limits::default()).unwrap();
                        t.elapsed()
                    })
                    .collect();
                times.sort();
                println!(
                    "{name} ?{query}: render {:.1} ms (median of 5)",
                    ms(times[2])
                );
            }
        }
    }
}

fn read(path: &Path) -> (String, Vec<u8>) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (path.display().to_string(), bytes)
}

fn report(name: &str, bytes: &[u8]) {
    let started = Instant::now();
    let decoded = codecs::decode_stored(bytes, &DecodeOptions::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .into_upright();
    let decode = started.elapsed();
    let img = &decoded.frames[0].image;
    let mut times = Vec::new();
    let mut faces = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        faces = face::detect(img).expect("detect");
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "{name}: {}x{}, decode {:.1} ms, detect {:.1} ms (min {:.1}, max {:.1}), {} face(s)",
        img.width(),
        img.height(),
        ms(decode),
        ms(times[2]),
        ms(times[0]),
        ms(times[4]),
        faces.len()
    );
    for f in &faces {
        println!(
            "  left {:.0} top {:.0} width {:.0} height {:.0} score {:.2}",
            f.left, f.top, f.width, f.height, f.score
        );
    }
}

/// The portrait scaled to 2400 px at (400, 300) on a 4000×3000 noisy grey canvas.
fn portrait_scene(portrait: &Path) -> Vec<u8> {
    let portrait = image::open(portrait).unwrap().to_rgb8();
    let portrait =
        image::imageops::resize(&portrait, 2400, 2400, image::imageops::FilterType::Triangle);
    let mut scene = RgbImage::from_fn(4000, 3000, |x, y| {
        let hash =
            (x.wrapping_mul(73_856_093) ^ y.wrapping_mul(19_349_663)).wrapping_mul(2_654_435_761);
        let v = 96 + (hash >> 27) as u8;
        image::Rgb([v, v, v + 6])
    });
    image::imageops::replace(&mut scene, &portrait, 400, 300);
    jpeg(&scene)
}

/// The landscape sample (upright) scaled up to 4000×3000.
fn upscaled(landscape: &Path) -> Vec<u8> {
    let (_, bytes) = read(landscape);
    let upright = codecs::decode_stored(&bytes, &DecodeOptions::default())
        .unwrap()
        .into_upright();
    let img = upright.frames[0].image.to_rgb8();
    let (w, h) = if img.width() >= img.height() {
        (4000, 3000)
    } else {
        (3000, 4000)
    };
    jpeg(&image::imageops::resize(
        &img,
        w,
        h,
        image::imageops::FilterType::Triangle,
    ))
}

fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(img)
        .unwrap();
    out
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
