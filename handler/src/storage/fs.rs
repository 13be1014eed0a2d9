//! Filesystem store: one file per object under a root directory.
//!
//! Writes go to a temporary file under `<root>/_/tmp` (the reserved segment no key may
//! use), are synced, and are then hard-linked into place. `link` fails if the target
//! exists, which gives `put_if_absent` the same create-only atomicity as S3's
//! `If-None-Match: *`, and a crash never leaves a half-written image under a key.

use super::{
    decode_token, encode_token, is_reserved_key, ListPage, Object, ObjectMeta, ResultHeaders,
    ResultObject, Store, StoreError, StoreResult,
};
use async_trait::async_trait;
use bytes::Bytes;
use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Clone)]
pub struct FsStore {
    root: PathBuf,
}

fn backend(context: &str, e: std::io::Error) -> StoreError {
    StoreError::backend(format!("fs {context}"), e)
}

/// Cheap, stable while the file is unchanged, different after a replace: the
/// modification time and size, as nginx does.
fn etag_of(md: &fs::Metadata) -> String {
    let nanos = md
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{nanos:x}-{:x}", md.len())
}

fn meta_of(key: &str, md: &fs::Metadata) -> ObjectMeta {
    ObjectMeta {
        key: key.to_string(),
        size: md.len(),
        etag: etag_of(md),
        last_modified: md.modified().unwrap_or(SystemTime::UNIX_EPOCH),
        storage_class: "STANDARD".into(),
    }
}

/// The first bytes of a result file (see [`FsStore::put_result_sync`]).
const RESULT_MAGIC: &[u8] = b"image-service result 2\n";
/// The first version: two header lines (no image quality). Still read.
const RESULT_MAGIC_V1: &[u8] = b"image-service result 1\n";

/// Temporary files older than this are left over from a process that died while
/// writing; younger ones may belong to a writer still at work.
pub const STALE_TMP_AGE: Duration = Duration::from_secs(15 * 60);

impl FsStore {
    /// Opens the store and sweeps temporary files left under `_/tmp` by a crash.
    pub fn open(root: impl AsRef<Path>) -> std::io::Result<FsStore> {
        let root = root.as_ref().to_path_buf();
        let store = FsStore { root };
        fs::create_dir_all(store.tmp_dir())?;
        store.sweep_tmp(STALE_TMP_AGE);
        Ok(store)
    }

    /// Removes temporary files not modified for `older_than`; returns how many. A
    /// temporary file is only ever a write in progress or a crash's leftover (a
    /// finished write is linked into place and its temporary name removed), and no key
    /// can name it, so removing one never loses an object. Only old ones go, because
    /// another process may share the folder (two local servers, or a test next to a
    /// server) and be writing right now; a write is synced and linked within seconds.
    pub fn sweep_tmp(&self, older_than: Duration) -> usize {
        let Ok(entries) = fs::read_dir(self.tmp_dir()) else {
            return 0;
        };
        let now = SystemTime::now();
        let mut removed = 0;
        for entry in entries.flatten() {
            let old = entry
                .metadata()
                .ok()
                .filter(fs::Metadata::is_file)
                .and_then(|md| md.modified().ok())
                .and_then(|at| now.duration_since(at).ok())
                .is_some_and(|age| age >= older_than);
            if old && fs::remove_file(entry.path()).is_ok() {
                removed += 1;
            }
        }
        if removed > 0 {
            tracing::info!(
                removed,
                "removed temporary files left by an interrupted upload"
            );
        }
        removed
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path_of(&self, key: &str) -> PathBuf {
        // Keys were validated at the edge (no `..`, no empty segments), so joining is safe.
        self.root.join(key)
    }

    fn tmp_dir(&self) -> PathBuf {
        self.root.join(crate::keys::RESERVED_SEGMENT).join("tmp")
    }

    fn head_sync(&self, key: &str) -> StoreResult<ObjectMeta> {
        match fs::metadata(self.path_of(key)) {
            Ok(md) if md.is_file() => Ok(meta_of(key, &md)),
            Ok(_) => Err(StoreError::NotFound(key.into())),
            Err(e) if is_missing(&e) => Err(StoreError::NotFound(key.into())),
            Err(e) => Err(backend("stat", e)),
        }
    }

    fn get_sync(&self, key: &str, max_bytes: u64) -> StoreResult<Object> {
        let path = self.path_of(key);
        let mut file = match fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if is_missing(&e) => return Err(StoreError::NotFound(key.into())),
            Err(e) => return Err(backend("open", e)),
        };
        let md = file.metadata().map_err(|e| backend("stat", e))?;
        if !md.is_file() {
            return Err(StoreError::NotFound(key.into()));
        }
        if md.len() > max_bytes {
            return Err(StoreError::TooLarge {
                key: key.into(),
                size: md.len(),
                limit: max_bytes,
            });
        }
        let mut buf = Vec::with_capacity(md.len() as usize);
        // Read at most the limit even if the file grew since the stat.
        (&mut file)
            .take(max_bytes)
            .read_to_end(&mut buf)
            .map_err(|e| backend("read", e))?;
        Ok(Object {
            meta: meta_of(key, &md),
            bytes: Bytes::from(buf),
        })
    }

    fn put_sync(&self, key: &str, bytes: &[u8]) -> StoreResult<ObjectMeta> {
        let dest = self.path_of(key);
        if let Some(parent) = dest.parent() {
            if let Err(e) = fs::create_dir_all(parent) {
                // A file sits where a folder of this key would go (`a.jpg` vs `a.jpg/b.jpg`).
                if e.kind() == ErrorKind::AlreadyExists || e.kind() == ErrorKind::NotADirectory {
                    return Err(StoreError::AlreadyExists(key.into()));
                }
                return Err(backend("create folder", e));
            }
        }
        let tmp = self.tmp_dir().join(uuid::Uuid::new_v4().to_string());
        let result = (|| {
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
                .map_err(|e| backend("create temp file", e))?;
            f.write_all(bytes).map_err(|e| backend("write", e))?;
            f.sync_all().map_err(|e| backend("sync", e))?;
            drop(f);
            match fs::hard_link(&tmp, &dest) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    return Err(StoreError::AlreadyExists(key.into()))
                }
                Err(e) if e.kind() == ErrorKind::NotADirectory => {
                    return Err(StoreError::AlreadyExists(key.into()))
                }
                Err(e) => return Err(backend("link", e)),
            }
            let md = fs::metadata(&dest).map_err(|e| backend("stat", e))?;
            Ok(meta_of(key, &md))
        })();
        let _ = fs::remove_file(&tmp);
        result
    }

    /// Writes to a temporary file, syncs, and renames over `key`: a reader sees the old
    /// file or the whole new one. The file is [`RESULT_MAGIC`], the content type, the
    /// Cache-Control and the image quality on a line each, then the bytes (a folder has
    /// no metadata).
    fn put_result_sync(
        &self,
        key: &str,
        bytes: &[u8],
        headers: &ResultHeaders<'_>,
    ) -> StoreResult<()> {
        let header = format!(
            "{}\n{}\n{}\n",
            headers.content_type,
            headers.cache_control.unwrap_or(""),
            headers.image_quality.unwrap_or("")
        );
        if headers.content_type.contains('\n') || header.lines().count() != 3 {
            return Err(backend(
                "write result",
                std::io::Error::new(ErrorKind::InvalidInput, "a header holds a line break"),
            ));
        }
        let dest = self.path_of(key);
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent).map_err(|e| backend("create folder", e))?;
        }
        let tmp = self.tmp_dir().join(uuid::Uuid::new_v4().to_string());
        let result = (|| {
            let mut f = fs::File::create_new(&tmp).map_err(|e| backend("create temp file", e))?;
            f.write_all(RESULT_MAGIC)
                .and_then(|()| f.write_all(header.as_bytes()))
                .and_then(|()| f.write_all(bytes))
                .map_err(|e| backend("write", e))?;
            f.sync_all().map_err(|e| backend("sync", e))?;
            fs::rename(&tmp, &dest).map_err(|e| backend("rename", e))
        })();
        let _ = fs::remove_file(&tmp);
        result
    }

    fn get_result_sync(&self, key: &str, max_bytes: u64) -> StoreResult<ResultObject> {
        let header_room = RESULT_MAGIC.len() as u64 + 2 * 1024;
        let file = match self.get_sync(key, max_bytes.saturating_add(header_room)) {
            Err(StoreError::TooLarge { size, .. }) => {
                return Err(StoreError::TooLarge {
                    key: key.into(),
                    size: size.saturating_sub(header_room),
                    limit: max_bytes,
                })
            }
            other => other?,
        };
        let not_a_result = || {
            backend(
                "read result",
                std::io::Error::new(ErrorKind::InvalidData, format!("'{key}' is not a result")),
            )
        };
        let (magic, header_lines) = if file.bytes.starts_with(RESULT_MAGIC) {
            (RESULT_MAGIC, 3)
        } else if file.bytes.starts_with(RESULT_MAGIC_V1) {
            (RESULT_MAGIC_V1, 2)
        } else {
            return Err(not_a_result());
        };
        let rest = &file.bytes[magic.len()..];
        let mut lines = rest.splitn(header_lines + 1, |b| *b == b'\n');
        let mut line = || {
            lines
                .next()
                .and_then(|l| std::str::from_utf8(l).ok())
                .map(str::to_string)
                .ok_or_else(not_a_result)
        };
        let (content_type, cache_control) = (line()?, line()?);
        let image_quality = if header_lines == 3 {
            line()?
        } else {
            String::new()
        };
        let offset = magic.len()
            + content_type.len()
            + cache_control.len()
            + image_quality.len()
            + header_lines;
        let bytes = file.bytes.slice(offset.min(file.bytes.len())..);
        if bytes.len() as u64 > max_bytes {
            return Err(StoreError::TooLarge {
                key: key.into(),
                size: bytes.len() as u64,
                limit: max_bytes,
            });
        }
        Ok(ResultObject {
            bytes,
            content_type,
            cache_control: Some(cache_control).filter(|c| !c.is_empty()),
            image_quality: Some(image_quality).filter(|q| !q.is_empty()),
        })
    }

    fn list_sync(&self, prefix: &str, token: Option<&str>, max_keys: u32) -> StoreResult<ListPage> {
        let start_after = token.map(decode_token).transpose()?;
        let mut keys = Vec::new();
        // Only walk the folder that can hold matching keys.
        let base = match prefix.rfind('/') {
            Some(i) => &prefix[..i],
            None => "",
        };
        walk(&self.root, base, &mut keys).map_err(|e| backend("list", e))?;
        keys.retain(|k| k.starts_with(prefix) && !is_reserved_key(k));
        keys.sort();
        let mut objects = Vec::new();
        let mut next_token = None;
        for key in keys {
            if let Some(after) = &start_after {
                if key.as_str() <= after.as_str() {
                    continue;
                }
            }
            if objects.len() == max_keys as usize {
                next_token = objects.last().map(|m: &ObjectMeta| encode_token(&m.key));
                break;
            }
            // A file deleted between the walk and the stat is simply skipped.
            if let Ok(md) = fs::metadata(self.path_of(&key)) {
                objects.push(meta_of(&key, &md));
            }
        }
        Ok(ListPage {
            objects,
            next_token,
        })
    }

    fn delete_sync(&self, keys: &[String]) -> StoreResult<()> {
        for key in keys {
            match fs::remove_file(self.path_of(key)) {
                Ok(()) => self.prune_empty_parents(key),
                Err(e) if is_missing(&e) => {}
                Err(e) => return Err(backend("remove", e)),
            }
        }
        Ok(())
    }

    /// S3 has no folders: once the last object under `a/b/` goes, so does the folder.
    fn prune_empty_parents(&self, key: &str) {
        let mut dir = self.path_of(key);
        while dir.pop() && dir != self.root {
            if fs::remove_dir(&dir).is_err() {
                break;
            }
        }
    }
}

fn is_missing(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory)
}

/// Collects the keys of all files under `root/rel`, skipping the reserved folder.
fn walk(root: &Path, rel: &str, out: &mut Vec<String>) -> std::io::Result<()> {
    let dir = if rel.is_empty() {
        root.to_path_buf()
    } else {
        root.join(rel)
    };
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if is_missing(&e) => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue; // not UTF-8: cannot be a key we wrote
        };
        if rel.is_empty() && name == crate::keys::RESERVED_SEGMENT {
            continue;
        }
        let key = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        let ty = entry.file_type()?;
        if ty.is_dir() {
            walk(root, &key, out)?;
        } else if ty.is_file() {
            out.push(key);
        }
    }
    Ok(())
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> StoreResult<T> + Send + 'static,
) -> StoreResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::backend("filesystem task failed", e))?
}

#[async_trait]
impl Store for FsStore {
    async fn head(&self, key: &str) -> StoreResult<ObjectMeta> {
        let (s, key) = (self.clone(), key.to_string());
        blocking(move || s.head_sync(&key)).await
    }
    async fn get(&self, key: &str, max_bytes: u64) -> StoreResult<Object> {
        let (s, key) = (self.clone(), key.to_string());
        blocking(move || s.get_sync(&key, max_bytes)).await
    }
    async fn put_if_absent(
        &self,
        key: &str,
        bytes: Bytes,
        _content_type: &str,
    ) -> StoreResult<ObjectMeta> {
        let (s, key) = (self.clone(), key.to_string());
        blocking(move || s.put_sync(&key, &bytes)).await
    }
    async fn put_result(
        &self,
        key: &str,
        bytes: Bytes,
        headers: &ResultHeaders<'_>,
    ) -> StoreResult<()> {
        let (s, key) = (self.clone(), key.to_string());
        let owned = |v: Option<&str>| v.map(str::to_string);
        let content_type = headers.content_type.to_string();
        let (cache_control, image_quality) =
            (owned(headers.cache_control), owned(headers.image_quality));
        blocking(move || {
            let headers = ResultHeaders {
                content_type: &content_type,
                cache_control: cache_control.as_deref(),
                image_quality: image_quality.as_deref(),
            };
            s.put_result_sync(&key, &bytes, &headers)
        })
        .await
    }
    async fn get_result(&self, key: &str, max_bytes: u64) -> StoreResult<ResultObject> {
        let (s, key) = (self.clone(), key.to_string());
        blocking(move || s.get_result_sync(&key, max_bytes)).await
    }
    async fn list(
        &self,
        prefix: &str,
        token: Option<&str>,
        max_keys: u32,
    ) -> StoreResult<ListPage> {
        let (s, prefix, token) = (self.clone(), prefix.to_string(), token.map(str::to_string));
        blocking(move || s.list_sync(&prefix, token.as_deref(), max_keys)).await
    }
    async fn delete_many(&self, keys: &[String]) -> StoreResult<()> {
        let (s, keys) = (self.clone(), keys.to_vec());
        blocking(move || s.delete_sync(&keys)).await
    }
    fn kind(&self) -> &'static str {
        "fs"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_sweeps_only_old_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsStore::open(dir.path()).unwrap();
        let tmp = store.tmp_dir();
        let old = tmp.join("left-by-a-crash");
        let young = tmp.join("being-written");
        fs::write(&old, b"half an image").unwrap();
        fs::write(&young, b"a write in progress").unwrap();
        let an_hour_ago = SystemTime::now() - Duration::from_secs(3600);
        fs::File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(an_hour_ago)
            .unwrap();
        store
            .put_sync("kept.png", b"stored")
            .expect("a stored object");

        let reopened = FsStore::open(dir.path()).unwrap();
        assert!(!old.exists(), "a crash's leftover is removed at start");
        assert!(young.exists(), "a recent one may be another writer's");
        assert_eq!(
            reopened.get_sync("kept.png", 100).unwrap().bytes.as_ref(),
            b"stored"
        );
        assert_eq!(reopened.sweep_tmp(Duration::ZERO), 1);
        assert_eq!(fs::read_dir(&tmp).unwrap().count(), 0);
    }

    /// A result keeps its image quality; a file of the first format (two header
    /// lines) still reads, without one, and its bytes are not shifted.
    #[test]
    fn results_keep_the_image_quality_and_old_files_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsStore::open(dir.path()).unwrap();
        let headers = ResultHeaders {
            content_type: "image/webp",
            cache_control: Some("public, max-age=60"),
            image_quality: Some("62; auto"),
        };
        store
            .put_result_sync("_/cache/r1", b"RIFF", &headers)
            .unwrap();
        let got = store.get_result_sync("_/cache/r1", 100).unwrap();
        assert_eq!(got.image_quality.as_deref(), Some("62; auto"));
        assert_eq!(got.cache_control.as_deref(), Some("public, max-age=60"));
        assert_eq!(got.bytes.as_ref(), b"RIFF");
        let plain = ResultHeaders::typed("image/jpeg");
        store
            .put_result_sync("_/cache/r2", b"\xff\xd8", &plain)
            .unwrap();
        let got = store.get_result_sync("_/cache/r2", 100).unwrap();
        assert_eq!((got.image_quality, got.cache_control), (None, None));

        let mut old = RESULT_MAGIC_V1.to_vec();
        old.extend_from_slice(b"image/png\n\nPNGBYTES");
        store.put_sync("_/cache/old", &old).unwrap();
        let got = store.get_result_sync("_/cache/old", 100).unwrap();
        assert_eq!(got.content_type, "image/png");
        assert_eq!(got.image_quality, None);
        assert_eq!(got.bytes.as_ref(), b"PNGBYTES");
        let bad = ResultHeaders {
            image_quality: Some("62\nauto"),
            ..plain
        };
        assert!(store.put_result_sync("_/cache/r3", b"x", &bad).is_err());
    }
}
