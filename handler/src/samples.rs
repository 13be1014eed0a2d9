//! Sample images shipped with the crate: they seed an empty local store so a newcomer
//! can try a transform straight away, and they are the tests' fixtures.

use crate::codecs;
use crate::storage::Store;
use bytes::Bytes;

macro_rules! sample {
    ($name:literal) => {
        (
            $name,
            include_bytes!(concat!("../../assets/samples/", $name)) as &[u8],
        )
    };
}

pub const SAMPLES: &[(&str, &[u8])] = &[
    sample!("Landscape_6.jpg"),
    sample!("Landscape_8.jpg"),
    sample!("progressive_3.jpg"),
    sample!("blackbug.png"),
    sample!("Flag_of_the_Netherlands-16bit.png"),
    sample!("rotating-squares.gif"),
];

pub fn sample(name: &str) -> &'static [u8] {
    SAMPLES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, b)| *b)
        .unwrap_or_else(|| panic!("no sample named {name}"))
}

/// Writes the samples into `store` when it holds no object at all. Returns how many
/// were written.
pub async fn seed_if_empty(store: &dyn Store) -> Result<usize, String> {
    let page = store.list("", None, 1).await.map_err(|e| e.to_string())?;
    if !page.objects.is_empty() {
        return Ok(0);
    }
    let mut n = 0;
    for (name, bytes) in SAMPLES {
        let mime = codecs::sniff(bytes)
            .map(|f| f.mime())
            .unwrap_or("application/octet-stream");
        store
            .put_if_absent(name, Bytes::from_static(bytes), mime)
            .await
            .map_err(|e| e.to_string())?;
        n += 1;
    }
    Ok(n)
}
