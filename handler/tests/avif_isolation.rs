//! AVIF decoding runs in a child process of the real binary (see `codecs::isolate`): any
//! damaged file must come back as an answer — pixels or a 4xx — while this process lives
//! on. rav1d aborts the whole process on some damaged AV1 streams, so without the child
//! this test would die rather than fail.

#![cfg(feature = "avif-decode")]

use std::path::PathBuf;

use image::{DynamicImage, Rgb, RgbImage};
use image_service::codecs::{self, DecodeOptions, EncodeOptions, Frame, OutputFormat};

fn avif_sample() -> Vec<u8> {
    let image = RgbImage::from_fn(96, 64, |x, y| {
        Rgb([(x * 2) as u8, (y * 3) as u8, ((x * y) % 256) as u8])
    });
    codecs::encode(
        &[Frame {
            image: DynamicImage::ImageRgb8(image),
            delay_ms: 0,
        }],
        0,
        &EncodeOptions {
            format: OutputFormat::Avif,
            quality: Some(60),
            lossless: false,
            palette: None,
        },
    )
    .unwrap()
}

/// xorshift: deterministic damage without a dependency.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn damaged_avif_files_are_answered_by_the_child_and_never_kill_us() {
    codecs::isolate::enable(PathBuf::from(env!("CARGO_BIN_EXE_image-service")));
    let sample = avif_sample();

    let good = codecs::decode(&sample, &DecodeOptions::default()).unwrap();
    let frame = &good.frames[0].image;
    assert_eq!((frame.width(), frame.height()), (96, 64));

    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let (mut decoded, mut refused) = (0, 0);
    for _ in 0..150 {
        let mut damaged = sample.clone();
        // Leave the container header mostly intact so the damage reaches the AV1 decoder.
        let start = damaged.len() / 3;
        for _ in 0..(1 + next(&mut state) % 8) {
            let at = start + (next(&mut state) as usize) % (damaged.len() - start);
            damaged[at] = next(&mut state) as u8;
        }
        match codecs::decode(&damaged, &DecodeOptions::default()) {
            Ok(_) => decoded += 1,
            Err(e) => {
                assert!(
                    matches!(e.status().as_u16(), 413 | 415 | 422),
                    "damaged AVIF gave {} {e}",
                    e.status()
                );
                refused += 1;
            }
        }
    }
    assert_eq!(decoded + refused, 150);
    eprintln!("150 damaged AVIFs: {decoded} decoded, {refused} refused");
}
