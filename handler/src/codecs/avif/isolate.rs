//! AVIF decoding in a child process.
//!
//! rav1d can panic inside its `extern "C"` API on some corrupt AV1 data, and a panic
//! cannot unwind through that boundary: the whole process aborts, whatever
//! `catch_unwind` says. One crafted upload must not take the server (or the Lambda
//! instance with its warm cache) down, so the binaries re-run themselves as a decoder
//! child for each AVIF input: a crash there is a 422 for that request only.
//!
//! Protocol (private to this file): the child gets [`CHILD_ARG`] and the limits as
//! arguments, the file on stdin, and answers on stdout with `OK` + a small header + the
//! pixels, or `ER` + an error code + a message. Anything else (a signal, an abort,
//! garbage) is reported as a corrupt file. A child still running at the request's
//! deadline ([`Limits::deadline`]) is killed and reaped, and the answer is a 503 `timeout`.
//!
//! The child is the binary's `main` before anything else runs (no async runtime, no
//! threads): see [`install`].
//!
//! Unit tests and library users that never call [`enable`] decode in process.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::OnceLock;
use std::time::Instant;

use image::{DynamicImage, ImageBuffer};

use crate::codecs::{corrupt, Frame, ImageFormat, Limits, RawDecoded};
use crate::error::Error;

/// First argument that turns a binary of this crate into an AVIF decoder child.
pub const CHILD_ARG: &str = "__decode-avif";

static DECODER_EXE: OnceLock<PathBuf> = OnceLock::new();

/// First thing in each binary's `main`, before any async runtime or thread is built:
/// serve as a decoder child when asked to, else make this process hand its AVIF decodes
/// to children of its own executable.
pub fn install() {
    run_child_if_requested();
    match std::env::current_exe() {
        Ok(exe) => enable(exe),
        Err(e) => tracing::warn!("AVIF decodes stay in process: no current_exe ({e})"),
    }
}

/// Makes every later AVIF decode run in a child `exe` (normally `current_exe()`), which
/// must call [`run_child_if_requested`] first thing in `main`.
pub fn enable(exe: PathBuf) {
    let _ = DECODER_EXE.set(exe);
}

/// In `main`, before anything else: when this process was started as a decoder child,
/// decode stdin to stdout and exit; otherwise return.
pub fn run_child_if_requested() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) != Some(CHILD_ARG) {
        return;
    }
    let code = match child(&args[2..]) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("avif decoder child: {e}");
            3
        }
    };
    std::process::exit(code);
}

/// Decodes AVIF, in a child process when [`enable`] was called.
pub(super) fn decode(bytes: &[u8], limits: &Limits) -> Result<RawDecoded, Error> {
    match DECODER_EXE.get() {
        // Without a decoder there is nothing to isolate: the answer is the 415 below.
        Some(exe) if cfg!(feature = "avif-decode") => decode_in_child(exe, bytes, limits),
        _ => decode_in_process(bytes, limits),
    }
}

/// AVIF input needs the `avif-decode` feature (rav1d); without it AVIF is a clear 415.
fn decode_in_process(bytes: &[u8], limits: &Limits) -> Result<RawDecoded, Error> {
    #[cfg(feature = "avif-decode")]
    {
        super::decode::decode(bytes, limits)
    }
    #[cfg(not(feature = "avif-decode"))]
    {
        let _ = (bytes, limits);
        Err(Error::UnsupportedMediaType(
            "AVIF input is not supported by this build; convert to JPEG, PNG or WebP".into(),
        ))
    }
}

/// The child's whole answer, or `None` when the deadline came first.
type Answer = Option<std::io::Result<Vec<u8>>>;

fn decode_in_child(exe: &Path, bytes: &[u8], limits: &Limits) -> Result<RawDecoded, Error> {
    let mut child = Command::new(exe)
        .arg(CHILD_ARG)
        .arg(limits.max_pixels.to_string())
        .arg(limits.max_frames.to_string())
        .arg(limits.max_total_pixels.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| Error::Internal(format!("cannot start the AVIF decoder child: {e}")))?;
    let answer = exchange(&mut child, bytes, limits.deadline);
    // Reaps the child, also a killed one: no zombie is left behind.
    let status = child
        .wait()
        .map_err(|e| Error::Internal(format!("cannot wait for the AVIF decoder child: {e}")))?;
    let Some(output) = answer else {
        return Err(Error::Timeout(
            "Processing took longer than this service allows per request: the AVIF decoder was stopped. Ask for a smaller image.".into(),
        ));
    };
    let output =
        output.map_err(|e| Error::Internal(format!("cannot read the AVIF decoder child: {e}")))?;
    check_status(status, &output)?;
    read_answer(&output)
}

/// Feeds `bytes` to the child and reads its answer, killing it at `deadline`. The pipes
/// are served on scoped threads so neither can fill up and stall; killing the child
/// closes both, so the threads end with it.
fn exchange(child: &mut Child, bytes: &[u8], deadline: Option<Instant>) -> Answer {
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let mut stdout = child.stdout.take().expect("stdout is piped");
    std::thread::scope(|scope| {
        scope.spawn(move || {
            // A child that dies early closes the pipe; its exit status tells the story.
            let _ = stdin.write_all(bytes);
        });
        let (sender, receiver) = mpsc::channel();
        scope.spawn(move || {
            let mut out = Vec::new();
            let _ = sender.send(stdout.read_to_end(&mut out).map(|_| out));
        });
        let answer = match deadline {
            None => receiver.recv().map_err(|_| RecvTimeoutError::Disconnected),
            Some(at) => receiver.recv_timeout(at.saturating_duration_since(Instant::now())),
        };
        match answer {
            Ok(output) => Some(output),
            Err(RecvTimeoutError::Disconnected) => {
                Some(Err(std::io::Error::other("the reader thread stopped")))
            }
            Err(RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                None
            }
        }
    })
}

fn check_status(status: ExitStatus, output: &[u8]) -> Result<(), Error> {
    if !status.success() && !output.starts_with(b"ER") {
        tracing::warn!(%status, "AVIF decoder child failed");
        return Err(corrupt(ImageFormat::Avif, "the decoder failed"));
    }
    Ok(())
}

fn child(args: &[String]) -> Result<(), String> {
    let number = |i: usize| -> Result<u64, String> {
        args.get(i)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("argument {i} must be a number"))
    };
    let limits = Limits {
        max_pixels: number(0)?,
        max_frames: u32::try_from(number(1)?).map_err(|e| e.to_string())?,
        max_total_pixels: number(2)?,
        // The parent keeps the deadline: it kills this process when it passes.
        deadline: None,
    };
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .map_err(|e| e.to_string())?;
    let answer = match decode_in_process(&input, &limits) {
        Ok(raw) => write_ok(&raw)?,
        Err(e) => write_err(&e),
    };
    let mut out = std::io::stdout().lock();
    out.write_all(&answer).map_err(|e| e.to_string())?;
    out.flush().map_err(|e| e.to_string())
}

/// Pixel layouts the AVIF decoder produces, as one byte on the wire.
fn layout_of(image: &DynamicImage) -> Option<u8> {
    Some(match image {
        DynamicImage::ImageLuma8(_) => 1,
        DynamicImage::ImageLumaA8(_) => 2,
        DynamicImage::ImageRgb8(_) => 3,
        DynamicImage::ImageRgba8(_) => 4,
        DynamicImage::ImageLuma16(_) => 11,
        DynamicImage::ImageLumaA16(_) => 12,
        DynamicImage::ImageRgb16(_) => 13,
        DynamicImage::ImageRgba16(_) => 14,
        _ => return None,
    })
}

fn write_ok(raw: &RawDecoded) -> Result<Vec<u8>, String> {
    let frame = raw.frames.first().ok_or("no frame")?;
    let image = &frame.image;
    let layout = layout_of(image).ok_or("unexpected pixel layout")?;
    let icc = raw.icc_profile.as_deref().unwrap_or_default();
    let mut out = Vec::with_capacity(16 + icc.len() + image.as_bytes().len());
    out.extend_from_slice(b"OK");
    out.push(layout);
    out.extend_from_slice(&image.width().to_le_bytes());
    out.extend_from_slice(&image.height().to_le_bytes());
    out.extend_from_slice(&(icc.len() as u32).to_le_bytes());
    out.extend_from_slice(icc);
    out.extend_from_slice(image.as_bytes());
    Ok(out)
}

fn write_err(e: &Error) -> Vec<u8> {
    let kind: u8 = match e {
        Error::ImageTooLarge(_) => 1,
        Error::UnsupportedMediaType(_) => 2,
        _ => 3,
    };
    let mut out = b"ER".to_vec();
    out.push(kind);
    out.extend_from_slice(e.to_string().as_bytes());
    out
}

fn read_answer(answer: &[u8]) -> Result<RawDecoded, Error> {
    let garbled = || corrupt(ImageFormat::Avif, "the decoder failed");
    if let Some(rest) = answer.strip_prefix(b"ER") {
        let (&kind, message) = rest.split_first().ok_or_else(garbled)?;
        let message = String::from_utf8_lossy(message).into_owned();
        return Err(match kind {
            1 => Error::ImageTooLarge(message),
            2 => Error::UnsupportedMediaType(message),
            _ => Error::UnprocessableImage(message),
        });
    }
    let rest = answer.strip_prefix(b"OK").ok_or_else(garbled)?;
    let u32_at = |at: usize| -> Option<u32> {
        rest.get(at..at + 4)
            .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
    };
    let layout = *rest.first().ok_or_else(garbled)?;
    let (width, height, icc_len) = match (u32_at(1), u32_at(5), u32_at(9)) {
        (Some(w), Some(h), Some(l)) => (w, h, l as usize),
        _ => return Err(garbled()),
    };
    let icc = rest.get(13..13 + icc_len).ok_or_else(garbled)?;
    let pixels = &rest[13 + icc_len..];
    let image = image_from(layout, width, height, pixels).ok_or_else(garbled)?;
    Ok(RawDecoded {
        frames: vec![Frame { image, delay_ms: 0 }],
        loop_count: 0,
        icc_profile: (!icc.is_empty()).then(|| icc.to_vec()),
        palette: None,
    })
}

fn image_from(layout: u8, width: u32, height: u32, pixels: &[u8]) -> Option<DynamicImage> {
    let eight = || pixels.to_vec();
    let sixteen = || -> Option<Vec<u16>> {
        pixels.len().is_multiple_of(2).then(|| {
            pixels
                .chunks_exact(2)
                .map(|b| u16::from_ne_bytes([b[0], b[1]]))
                .collect()
        })
    };
    Some(match layout {
        1 => DynamicImage::ImageLuma8(ImageBuffer::from_raw(width, height, eight())?),
        2 => DynamicImage::ImageLumaA8(ImageBuffer::from_raw(width, height, eight())?),
        3 => DynamicImage::ImageRgb8(ImageBuffer::from_raw(width, height, eight())?),
        4 => DynamicImage::ImageRgba8(ImageBuffer::from_raw(width, height, eight())?),
        11 => DynamicImage::ImageLuma16(ImageBuffer::from_raw(width, height, sixteen()?)?),
        12 => DynamicImage::ImageLumaA16(ImageBuffer::from_raw(width, height, sixteen()?)?),
        13 => DynamicImage::ImageRgb16(ImageBuffer::from_raw(width, height, sixteen()?)?),
        14 => DynamicImage::ImageRgba16(ImageBuffer::from_raw(width, height, sixteen()?)?),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(image: DynamicImage, icc: Option<Vec<u8>>) -> RawDecoded {
        RawDecoded {
            frames: vec![Frame { image, delay_ms: 0 }],
            loop_count: 0,
            icc_profile: icc,
            palette: None,
        }
    }

    #[test]
    fn answers_round_trip_every_layout() {
        let rgb16 = ImageBuffer::from_fn(3, 2, |x, y| image::Rgb([x as u16 * 300, y as u16, 7]));
        let images = [
            DynamicImage::ImageRgba8(ImageBuffer::from_fn(3, 2, |x, _| {
                image::Rgba([x as u8, 1, 2, 3])
            })),
            DynamicImage::ImageRgb16(rgb16),
            DynamicImage::ImageLuma8(ImageBuffer::from_fn(1, 1, |_, _| image::Luma([9]))),
        ];
        for image in images {
            let wire = write_ok(&raw(image.clone(), Some(vec![1, 2, 3]))).unwrap();
            let back = read_answer(&wire).unwrap();
            assert_eq!(back.frames[0].image, image);
            assert_eq!(back.icc_profile, Some(vec![1, 2, 3]));
        }
    }

    #[test]
    fn errors_keep_their_kind() {
        let wire = write_err(&Error::ImageTooLarge("too big".into()));
        assert_eq!(read_answer(&wire).err().unwrap().code(), "image-too-large");
        let wire = write_err(&Error::UnsupportedMediaType("grid".into()));
        assert_eq!(
            read_answer(&wire).err().unwrap().code(),
            "unsupported-media-type"
        );
    }

    #[test]
    fn garbage_and_short_answers_are_corrupt_files_not_panics() {
        for wire in [
            &b""[..],
            b"OK",
            b"OK\x04\x01\0\0\0",
            b"XXabc",
            b"OK\x04\x02\0\0\0\x02\0\0\0\0\0\0\0\x01",
        ] {
            let e = read_answer(wire).err().unwrap();
            assert_eq!(e.code(), "unprocessable-image");
        }
    }
}
