//! Images from input assets: sized from their headers, and copied from the
//! host into `word/media/image{n}.png|jpeg` as the package is written, so a
//! document's images are never held in memory.

use std::collections::BTreeMap;

use kiln_plugin_sdk::document::Length;

/// One image asset.
#[derive(Debug)]
pub(crate) struct Entry {
    /// The asset's name, to copy it from the host.
    pub(crate) asset: String,
    pub(crate) width_px: u32,
    pub(crate) height_px: u32,
    /// The relationship id from the document, e.g. "rIdImg1".
    pub(crate) rel_id: String,
    /// The part name, e.g. "media/image1.png" (relative to `word/`).
    pub(crate) target: String,
}

/// The images of a document, by asset name.
#[derive(Debug, Default)]
pub(crate) struct Media {
    entries: BTreeMap<String, Entry>,
    order: Vec<String>,
}

impl Media {
    /// Adds an asset from its first bytes (enough for its header); `Err`
    /// says why they are not an image.
    pub(crate) fn add(&mut self, name: &str, head: &[u8], size: u64) -> Result<(), String> {
        if self.entries.contains_key(name) {
            return Ok(());
        }
        let info = kiln_plugin_sdk::image::dimensions(head).ok_or_else(|| {
            format!("expected a PNG or JPEG image, found an asset of {size} bytes that is neither")
        })?;
        let extension = if info.media_type == "image/png" { "png" } else { "jpeg" };
        let n = self.order.len() + 1;
        self.order.push(name.to_owned());
        self.entries.insert(
            name.to_owned(),
            Entry {
                asset: name.to_owned(),
                width_px: info.width,
                height_px: info.height,
                rel_id: format!("rIdImg{n}"),
                target: format!("media/image{n}.{extension}"),
            },
        );
        Ok(())
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Entry> {
        self.entries.get(name)
    }

    /// The entries in the order they were added.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.order.iter().filter_map(|n| self.entries.get(n))
    }
}

/// The displayed size in EMU: as given, else from the pixels at 96 per
/// inch, keeping the aspect ratio, and never wider than the text.
pub(crate) fn display_size(
    entry: &Entry,
    width: Option<Length>,
    height: Option<Length>,
    text_width_twips: i32,
) -> (u32, u32, bool) {
    let aspect = entry.height_px as f32 / entry.width_px.max(1) as f32;
    let (mut w, mut h) = match (width, height) {
        (Some(w), Some(h)) => (w.0, h.0),
        (Some(w), None) => (w.0, w.0 * aspect),
        (None, Some(h)) => (h.0 / aspect.max(1e-6), h.0),
        (None, None) => (entry.width_px as f32 * 0.75, entry.height_px as f32 * 0.75),
    };
    let max_w = text_width_twips as f32 / 20.0;
    let scaled = w > max_w;
    if scaled {
        h *= max_w / w;
        w = max_w;
    }
    (Length(w).emu().max(1), Length(h).emu().max(1), scaled)
}
