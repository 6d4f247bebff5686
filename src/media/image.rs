//! Images are decoded and encoded again as JPEG: only pixels survive, so EXIF, GPS positions,
//! XMP and maker notes written by the phone never reach another room. The phone's orientation
//! tag is applied to the pixels first (it is lost with the rest). Large images are scaled down
//! to `max_side`; a thumbnail of `thumb_side` is made for digests.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use super::{MediaLimits, Refusal};

/// JPEG quality of stored images and thumbnails.
const QUALITY: u8 = 82;

/// An image ready to store: the re-encoded bytes and their thumbnail.
#[derive(Debug, Clone)]
pub struct Processed {
    pub bytes: Vec<u8>,
    pub mime: &'static str,
    pub width: u32,
    pub height: u32,
    pub thumb: Vec<u8>,
    pub thumb_width: u32,
    pub thumb_height: u32,
}

/// Decodes `bytes` (JPEG, PNG or WebP, whatever their declared type), scales the image down to
/// `limits.max_side`, and encodes it and its thumbnail as JPEG. CPU-bound: run it on the
/// blocking pool.
pub fn process(bytes: &[u8], limits: &MediaLimits) -> Result<Processed, Refusal> {
    if bytes.len() as u64 > limits.max_bytes {
        return Err(Refusal::TooLarge);
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| Refusal::Type)?;
    let format = reader.format().ok_or(Refusal::Type)?;
    if !matches!(format, ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP) {
        return Err(Refusal::Type);
    }
    // A small file may claim a huge canvas (a decompression bomb): bound what decoding takes.
    let mut bounds = Limits::default();
    bounds.max_image_width = Some(16_384);
    bounds.max_image_height = Some(16_384);
    bounds.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(bounds);
    let mut decoder = reader.into_decoder().map_err(|_| Refusal::Type)?;
    let orientation = decoder.orientation().map_err(|_| Refusal::Type)?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(|_| Refusal::Type)?;
    img.apply_orientation(orientation);
    let side = limits.max_side.max(16);
    if img.width() > side || img.height() > side {
        img = img.resize(side, side, FilterType::Triangle);
    }
    let thumb_side = limits.thumb_side.max(16);
    let thumb = img.thumbnail(thumb_side, thumb_side);
    Ok(Processed {
        bytes: jpeg(&img)?,
        mime: "image/jpeg",
        width: img.width(),
        height: img.height(),
        thumb: jpeg(&thumb)?,
        thumb_width: thumb.width(),
        thumb_height: thumb.height(),
    })
}

fn jpeg(img: &DynamicImage) -> Result<Vec<u8>, Refusal> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, QUALITY)
        .encode_image(&img.to_rgb8())
        .map_err(|_| Refusal::Type)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    fn sample_jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| Rgb([(x * 4) as u8, (y * 5) as u8, 200]));
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, 90).encode_image(&img).unwrap();
        out
    }

    /// The JPEG with an APP1 Exif segment holding a GPS tag, inserted after SOI.
    fn with_exif(jpeg: &[u8]) -> Vec<u8> {
        let payload = b"Exif\0\0MM\0*\0\0\0\x08\0\x01\x88\x25\0\x04\0\0\0\x01\0\0\0\x1aGPS48.6493N-2.0257W";
        let len = (payload.len() + 2) as u16;
        let mut out = jpeg[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(payload);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    #[test]
    fn exif_and_gps_do_not_survive_and_pixels_do() {
        let src = with_exif(&sample_jpeg(64, 48));
        assert!(src.windows(4).any(|w| w == b"Exif"));
        let p = process(&src, &MediaLimits::default()).unwrap();
        assert!(!p.bytes.windows(4).any(|w| w == b"Exif"));
        assert!(!p.bytes.windows(3).any(|w| w == b"GPS"));
        assert_eq!((p.width, p.height, p.mime), (64, 48, "image/jpeg"));
        let back = image::load_from_memory(&p.bytes).unwrap().to_rgb8();
        let px = back.get_pixel(10, 10);
        assert!((i32::from(px[2]) - 200).abs() < 12, "{px:?}");
    }

    #[test]
    fn large_images_are_scaled_down_with_a_thumbnail() {
        let limits = MediaLimits {
            max_side: 100,
            thumb_side: 20,
            ..MediaLimits::default()
        };
        let p = process(&sample_jpeg(400, 200), &limits).unwrap();
        assert_eq!((p.width, p.height), (100, 50));
        assert_eq!((p.thumb_width, p.thumb_height), (20, 10));
    }

    #[test]
    fn too_large_and_unreadable_files_are_refused() {
        let limits = MediaLimits {
            max_bytes: 100,
            ..MediaLimits::default()
        };
        assert_eq!(process(&sample_jpeg(64, 48), &limits).unwrap_err(), Refusal::TooLarge);
        assert_eq!(
            process(b"%PDF-1.4 not an image", &MediaLimits::default()).unwrap_err(),
            Refusal::Type
        );
    }
}
