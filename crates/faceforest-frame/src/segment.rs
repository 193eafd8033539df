//! Crop → segment → paste back in one call.

use crate::crop::{extract_crop, paste_labels_scaled, CropRect, Overhang, TRAIN_HEIGHT};
use crate::error::FrameError;
use faceforest::Segmenter;
use image::RgbImage;

/// Labels for a whole image segmented through a face crop.
#[derive(Clone, Debug)]
pub struct FramedSegmentation {
    /// Image size; `labels` is `width*height`, background (0) outside the crop.
    pub width: u32,
    pub height: u32,
    pub labels: Vec<u8>,
    pub crop: CropRect,
}

/// Cuts `crop` out of `img` (filling any overhang per `overhang`), scaled to at most
/// the training height (512 rows; the segmenter works at its model size anyway),
/// segments it and pastes the labels back onto the whole image.
pub fn segment_framed(
    seg: &Segmenter,
    img: &RgbImage,
    crop: &CropRect,
    overhang: Overhang,
) -> Result<FramedSegmentation, FrameError> {
    if img.width() == 0 || img.height() == 0 {
        return Err(FrameError::InvalidImage("the image is empty".into()));
    }
    // The crop is allocated before it is scaled down: hold it to the input limits.
    faceforest::limits::check_size(crop.w, crop.h).map_err(|e| {
        FrameError::InvalidImage(format!(
            "the crop: {}",
            e.to_string().trim_start_matches("invalid image: ")
        ))
    })?;
    let cut = extract_crop(img, crop, overhang, Some(TRAIN_HEIGHT));
    let s = seg.segment(&cut, false)?;
    let labels = paste_labels_scaled(
        crop,
        &s.labels,
        s.width,
        s.height,
        img.width(),
        img.height(),
    )?;
    Ok(FramedSegmentation {
        width: img.width(),
        height: img.height(),
        labels,
        crop: *crop,
    })
}
