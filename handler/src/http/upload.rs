use super::{encode_key, existence, public_base, AppState, Success};
use crate::config::Route;
use crate::error::{chain, codes, Error, Result};
use crate::storage::{ObjectMeta, StoreError};
use crate::{codecs, keys};
use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::Json;
use bytes::Bytes;
use futures::stream::{self, StreamExt};
use serde::Serialize;

/// Most files one upload may carry.
pub const MAX_FILES: usize = 100;
/// Largest header block of one multipart part.
const MAX_PART_HEADER_BYTES: usize = 8 * 1024;
/// How many objects are written at once.
const CONCURRENCY: usize = 8;

#[derive(Serialize)]
pub struct Uploaded {
    link: String,
    #[serde(rename = "ETag")]
    etag: String,
}

#[derive(Serialize)]
pub struct UploadBody {
    #[serde(rename = "ETags")]
    etags: Vec<Uploaded>,
}

struct File {
    name: String,
    bytes: Bytes,
    mime: &'static str,
}

fn multipart_error(e: MultipartError, limit: usize) -> Error {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Error::PayloadTooLarge(format!(
            "The upload is larger than the limit of {limit} bytes."
        ))
    } else {
        Error::bad_request(
            codes::INVALID_MULTIPART,
            format!("The multipart body could not be read: {}", e.body_text()),
        )
    }
}

/// Reads every `data` part, checking names, types and sizes before anything is stored.
async fn read_files(multipart: &mut Multipart, state: &AppState) -> Result<Vec<File>> {
    let limit = state.config.max_upload_bytes;
    let mut files: Vec<File> = Vec::new();
    let mut total = 0usize;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(e, limit))?
    {
        // Part headers are small in any real upload; a huge one is an attack on the parser.
        let header_bytes: usize = field
            .headers()
            .iter()
            .map(|(k, v)| k.as_str().len() + v.len())
            .sum();
        if header_bytes > MAX_PART_HEADER_BYTES {
            return Err(Error::bad_request(
                codes::INVALID_MULTIPART,
                format!("A part's headers are larger than {MAX_PART_HEADER_BYTES} bytes."),
            ));
        }
        if field.name() != Some("data") {
            continue; // other form fields are not ours to store
        }
        let name = field
            .file_name()
            .ok_or_else(|| {
                Error::bad_request(
                    codes::INVALID_FILENAME,
                    "Every 'data' part needs a file name (Content-Disposition filename).",
                )
            })?
            .to_string();
        keys::validate_filename(&name)?;
        if files.iter().any(|f| f.name == name) {
            return Err(Error::bad_request(
                codes::DUPLICATE_FILENAME,
                format!("The file name '{name}' appears more than once in this upload."),
            ));
        }
        if files.len() == MAX_FILES {
            return Err(Error::bad_request(
                codes::TOO_MANY_FILES,
                format!("One upload may carry at most {MAX_FILES} files."),
            ));
        }
        let bytes = field.bytes().await.map_err(|e| multipart_error(e, limit))?;
        total += bytes.len();
        if total > limit {
            return Err(Error::PayloadTooLarge(format!(
                "The upload is larger than the limit of {limit} bytes."
            )));
        }
        let mime = match codecs::sniff(&bytes) {
            Some(format) => {
                check_header(&name, &bytes, &state.config)?;
                format.mime()
            }
            None if state.config.allow_non_images => "application/octet-stream",
            None => {
                return Err(Error::UnsupportedMediaType(format!(
                    "'{name}' is not an image this service accepts (JPEG, PNG, WebP, GIF, TIFF, AVIF or HEIC)."
                )))
            }
        };
        files.push(File { name, bytes, mime });
    }
    if files.is_empty() {
        return Err(Error::bad_request(
            codes::MISSING_DATA,
            "The multipart body has no file part named 'data'.",
        ));
    }
    Ok(files)
}

/// Reads the image header (no pixels) and refuses what could never be served: a
/// header that does not parse (422) or a size over the decode limits, such as a
/// decompression bomb (413). Formats we store but cannot decode (HEIC) pass.
fn check_header(name: &str, bytes: &[u8], config: &crate::config::Config) -> Result<()> {
    let limits = codecs::Limits::for_input(config.max_input_pixels, config.max_input_frames);
    match codecs::probe_within(bytes, &limits) {
        Ok(_) | Err(Error::UnsupportedMediaType(_)) => Ok(()),
        Err(Error::ImageTooLarge(m)) => Err(Error::ImageTooLarge(format!("'{name}': {m}"))),
        Err(Error::UnprocessableImage(m)) => {
            Err(Error::UnprocessableImage(format!("'{name}': {m}")))
        }
        Err(other) => Err(other),
    }
}

/// One file of an upload that is stored now: by this request (`written`, so a rollback
/// removes it) or, with the same bytes, before it (left alone by a rollback).
struct Stored {
    meta: ObjectMeta,
    written: bool,
}

/// The stored object when `file`'s key already holds exactly its bytes.
async fn same_as_stored(
    store: &crate::storage::DynStore,
    folder: &str,
    file: &File,
) -> crate::storage::StoreResult<Option<ObjectMeta>> {
    store
        .existing_if_same(&keys::join(folder, &file.name), &file.bytes)
        .await
}

fn conflict(names: &[String], folder: &str) -> Error {
    let at = if folder.is_empty() {
        "/".to_string()
    } else {
        format!("/{folder}")
    };
    Error::AlreadyExists(format!(
        "Already existing: {} in path {at}. Nothing was uploaded.",
        names.join(", ")
    ))
}

/// Checks the caller and the path, then reads the files.
async fn read_upload(
    state: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    multipart: Result<&mut Multipart>,
) -> Result<(String, Vec<File>)> {
    state.require(Route::Upload, headers)?;
    let folder = keys::folder_from_path(uri.path())?;
    Ok((folder, read_files(multipart?, state).await?))
}

/// Reads and drops what is left of a refused upload (the body limit bounds it). A
/// client that writes its whole body before reading the answer (Node's `http`, so
/// newman) would otherwise see the connection closed under it (EPIPE) and lose our 4xx.
async fn discard_rest(multipart: &mut Multipart) {
    while let Ok(Some(mut field)) = multipart.next_field().await {
        while let Ok(Some(_)) = field.chunk().await {}
    }
}

/// `POST /{path}`: stores every `data` file at `{path}/{filename}`, all or nothing.
pub async fn upload(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    mut multipart: std::result::Result<Multipart, MultipartRejection>,
) -> Result<Json<Success<UploadBody>>> {
    let body = multipart.as_mut().map_err(|e| {
        Error::bad_request(
            codes::INVALID_MULTIPART,
            format!("Expected a multipart/form-data body: {}", e.body_text()),
        )
    });
    let (folder, files) = match read_upload(&state, &uri, &headers, body).await {
        Ok(read) => read,
        Err(e) => {
            if let Ok(multipart) = &mut multipart {
                discard_rest(multipart).await;
            }
            return Err(e);
        }
    };
    let store = &state.store;
    let folder = folder.as_str();

    // Refuse up front when a name is taken by other bytes: the common case, and it
    // writes nothing. A name holding these very bytes is a retry of an upload that was
    // cut short (a crash, a gateway timeout) after writing it: that file counts as
    // uploaded and is left as it is.
    let keys: Vec<String> = files.iter().map(|f| keys::join(folder, &f.name)).collect();
    let mut present: Vec<Option<ObjectMeta>> = vec![None; files.len()];
    let mut taken = Vec::new();
    for (i, (_, exists)) in existence(store, keys).await?.into_iter().enumerate() {
        if exists {
            match same_as_stored(store, folder, &files[i]).await? {
                Some(meta) => present[i] = Some(meta),
                None => taken.push(files[i].name.clone()),
            }
        }
    }
    if !taken.is_empty() {
        return Err(conflict(&taken, folder));
    }

    // Create-only writes; a name taken by a concurrent upload of other bytes since the
    // check rolls back what this request wrote, so the request still writes nothing.
    let results: Vec<(String, std::result::Result<Stored, StoreError>)> =
        stream::iter(files.into_iter().zip(present))
            .map(|(f, present)| {
                let key = keys::join(folder, &f.name);
                let store = store.clone();
                async move {
                    if let Some(meta) = present {
                        return (
                            f.name,
                            Ok(Stored {
                                meta,
                                written: false,
                            }),
                        );
                    }
                    let r = match store.put_if_absent(&key, f.bytes.clone(), f.mime).await {
                        Ok(meta) => Ok(Stored {
                            meta,
                            written: true,
                        }),
                        Err(StoreError::AlreadyExists(k)) => {
                            match same_as_stored(&store, folder, &f).await {
                                Ok(Some(meta)) => Ok(Stored {
                                    meta,
                                    written: false,
                                }),
                                Ok(None) => Err(StoreError::AlreadyExists(k)),
                                Err(e) => Err(e),
                            }
                        }
                        Err(e) => Err(e),
                    };
                    (f.name, r)
                }
            })
            .buffered(CONCURRENCY)
            .collect()
            .await;
    let written: Vec<String> = results
        .iter()
        .filter(|(_, r)| r.as_ref().is_ok_and(|s| s.written))
        .map(|(name, _)| keys::join(folder, name))
        .collect();
    let lost: Vec<String> = results
        .iter()
        .filter(|(_, r)| matches!(r, Err(StoreError::AlreadyExists(_))))
        .map(|(name, _)| name.clone())
        .collect();
    let failed =
        |r: &std::result::Result<Stored, StoreError>| matches!(r, Err(StoreError::Backend { .. }));
    if !lost.is_empty() || results.iter().any(|(_, r)| failed(r)) {
        if let Err(e) = store.delete_many(&written).await {
            tracing::error!(error = %chain(&e), keys = ?written, "rollback of a failed upload did not complete");
        }
        let first_failure = results
            .into_iter()
            .find_map(|(_, r)| if failed(&r) { r.err() } else { None });
        return Err(match first_failure {
            Some(e) => Error::from(e),
            None => conflict(&lost, folder),
        });
    }

    let base = public_base(&state.config, &headers);
    let etags = results
        .into_iter()
        .filter_map(|(_, r)| r.ok())
        .map(|Stored { meta, .. }| Uploaded {
            link: format!("{base}/{}", encode_key(&meta.key)),
            etag: meta.etag,
        })
        .collect();
    Ok(Json(Success {
        status: 200,
        code: "success",
        message: "Images uploaded successfully!",
        extra: UploadBody { etags },
    }))
}
