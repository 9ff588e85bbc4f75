//! Image facts a document plugin needs without decoding pixels: the media
//! type and the size in pixels, read from PNG and JPEG headers.

/// What an image's header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageInfo {
    pub media_type: &'static str,
    pub width: u32,
    pub height: u32,
}

/// The media type and pixel size of a PNG or JPEG, or `None` for anything else.
pub fn dimensions(bytes: &[u8]) -> Option<ImageInfo> {
    png(bytes).or_else(|| jpeg(bytes))
}

fn png(bytes: &[u8]) -> Option<ImageInfo> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if !bytes.starts_with(SIGNATURE) || bytes.get(12..16)? != b"IHDR" {
        return None;
    }
    let width = u32::from_be_bytes(bytes.get(16..20)?.try_into().ok()?);
    let height = u32::from_be_bytes(bytes.get(20..24)?.try_into().ok()?);
    (width > 0 && height > 0).then_some(ImageInfo { media_type: "image/png", width, height })
}

fn jpeg(bytes: &[u8]) -> Option<ImageInfo> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut at = 2;
    while at + 4 <= bytes.len() {
        if bytes[at] != 0xFF {
            return None;
        }
        let marker = bytes[at + 1];
        if marker == 0xFF {
            at += 1;
            continue;
        }
        let length = u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]) as usize;
        // Start-of-frame markers carry the size; C4, C8 and CC are not frames.
        if (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            let frame = bytes.get(at + 4..at + 9)?;
            let height = u16::from_be_bytes([frame[1], frame[2]]) as u32;
            let width = u16::from_be_bytes([frame[3], frame[4]]) as u32;
            return (width > 0 && height > 0).then_some(ImageInfo {
                media_type: "image/jpeg",
                width,
                height,
            });
        }
        at += 2 + length;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_and_jpeg_headers_give_their_sizes() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend_from_slice(&640u32.to_be_bytes());
        png.extend_from_slice(&480u32.to_be_bytes());
        assert_eq!(
            dimensions(&png),
            Some(ImageInfo { media_type: "image/png", width: 640, height: 480 })
        );

        // SOI, an APP0 segment of 4 bytes, then SOF0 with height 200, width 300.
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xC0, 0, 11, 8, 0, 200, 1, 44, 3];
        assert_eq!(
            dimensions(&jpeg),
            Some(ImageInfo { media_type: "image/jpeg", width: 300, height: 200 })
        );
        assert_eq!(dimensions(b"GIF89a"), None);
    }
}
