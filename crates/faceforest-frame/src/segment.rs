//! Crop → segment → paste back in one call.

use crate::crop::{
    extract_crop, paste_labels_scaled, paste_probabilities_scaled, CropRect, Overhang, TRAIN_HEIGHT,
};
use crate::error::FrameError;
use faceforest::classes::NUM_PHOTO_CLASSES;
use faceforest::Segmenter;
use image::RgbImage;

/// Labels for a whole image segmented through a face crop.
#[derive(Clone, Debug)]
pub struct FramedSegmentation {
    /// Image size; `labels` is `width*height`, background (0) outside the crop.
    pub width: u32,
    pub height: u32,
    pub labels: Vec<u8>,
    /// When asked for ([`segment_framed_with`]): the photo classes' probabilities as
    /// planes, [`faceforest::classes::NUM_PHOTO_CLASSES`] planes of `width*height`
    /// back to back (class order: background, skin, hair, ...), pasted back exactly
    /// as the labels are (their argmax is the label). Outside the crop: background 1,
    /// the other classes 0.
    pub confidence: Option<Vec<f32>>,
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
    segment_framed_with(seg, img, crop, overhang, false)
}

/// [`segment_framed`], and with `confidence` the class probabilities pasted back too
/// (see [`FramedSegmentation::confidence`]).
pub fn segment_framed_with(
    seg: &Segmenter,
    img: &RgbImage,
    crop: &CropRect,
    overhang: Overhang,
    confidence: bool,
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
    let s = seg.segment(&cut, confidence)?;
    let labels = paste_labels_scaled(
        crop,
        &s.labels,
        s.width,
        s.height,
        img.width(),
        img.height(),
    )?;
    let confidence = match &s.probabilities {
        Some(p) => Some(paste_probabilities_scaled(
            crop,
            p,
            NUM_PHOTO_CLASSES,
            s.width,
            s.height,
            img.width(),
            img.height(),
        )?),
        None => None,
    };
    Ok(FramedSegmentation {
        width: img.width(),
        height: img.height(),
        labels,
        confidence,
        crop: *crop,
    })
}
