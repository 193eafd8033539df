//! The FASSEG folder layout (see the data's README):
//! `frontal0{1,2}/{train,test}/{rgb,labels}/N.png` and
//! `multipose01/train/{rgb,labels}/<pose>/*.png`.

use crate::error::{Error, Result};
use crate::pipeline::Photo;
use crate::prep::labels::{clean_labels, LabelCleaning};
use image::RgbImage;
use std::path::{Path, PathBuf};

/// `FASSEG_DIR`, else `../shared/fasseg` relative to the working directory.
pub fn default_dir() -> PathBuf {
    std::env::var_os("FASSEG_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/fasseg"))
}

/// The poses of multipose01 used by the standard protocol.
pub const STANDARD_POSES: [&str; 3] = ["0", "+15", "-15"];

/// One dataset part: `dataset` is frontal01, frontal02 or multipose01; `split` train
/// or test; `poses` selects multipose01 sub-folders (empty: all).
pub fn load(
    root: &Path,
    dataset: &str,
    split: &str,
    poses: &[&str],
    cleaning: LabelCleaning,
) -> Result<Vec<Photo>> {
    let base = root.join(dataset).join(split);
    if !base.is_dir() {
        return Err(Error::Data(format!(
            "FASSEG folder {} not found (set --fasseg or FASSEG_DIR to the folder holding frontal01, frontal02, multipose01)",
            base.display()
        )));
    }
    let mut pairs = Vec::new();
    if dataset == "multipose01" {
        let mut dirs: Vec<String> = if poses.is_empty() {
            list(&base.join("rgb"))?
                .into_iter()
                .filter(|p| p.is_dir())
                .filter_map(|p| p.file_name().map(|s| s.to_string_lossy().into_owned()))
                .collect()
        } else {
            poses.iter().map(|s| s.to_string()).collect()
        };
        dirs.sort();
        for pose in dirs {
            let d = base.join("rgb").join(&pose);
            if !d.is_dir() {
                return Err(Error::Data(format!(
                    "pose folder {} not found",
                    d.display()
                )));
            }
            for f in list(&d)? {
                let name = f.file_name().unwrap().to_string_lossy().into_owned();
                pairs.push((
                    format!("{dataset}/{pose}/{name}"),
                    f.clone(),
                    base.join("labels").join(&pose).join(&name),
                ));
            }
        }
    } else {
        for f in list(&base.join("rgb"))? {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            pairs.push((
                format!("{dataset}/{split}/{name}"),
                f.clone(),
                base.join("labels").join(&name),
            ));
        }
    }
    pairs.retain(|(_, p, _)| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("png")));
    // Numeric file names sort as numbers.
    pairs.sort_by_cached_key(|p| natural_key(&p.0));
    let loaded: Vec<Result<Photo>> = crate::par::map_range(pairs.len(), |i| {
        let (name, photo_path, label_path) = &pairs[i];
        let photo = read_rgb(photo_path)?;
        let labels = read_rgb(label_path)?;
        if photo.dimensions() != labels.dimensions() {
            return Err(Error::Data(format!(
                "{}: photo is {}×{} but its label {} is {}×{}",
                photo_path.display(),
                photo.width(),
                photo.height(),
                label_path.display(),
                labels.width(),
                labels.height()
            )));
        }
        Ok(Photo {
            name: name.clone(),
            labels: clean_labels(&labels, cleaning),
            photo,
            weight: 1.0,
        })
    });
    loaded.into_iter().collect()
}

/// Train on frontal02/train plus multipose01 poses 0, +15, -15 (62 photos).
pub fn standard_train(root: &Path, cleaning: LabelCleaning) -> Result<Vec<Photo>> {
    let mut v = load(root, "frontal02", "train", &[], cleaning)?;
    v.extend(load(
        root,
        "multipose01",
        "train",
        &STANDARD_POSES,
        cleaning,
    )?);
    Ok(v)
}

/// Test on frontal02/test (50 photos).
pub fn standard_test(root: &Path, cleaning: LabelCleaning) -> Result<Vec<Photo>> {
    load(root, "frontal02", "test", &[], cleaning)
}

pub fn read_rgb(path: &Path) -> Result<RgbImage> {
    let img = image::ImageReader::open(path)
        .map_err(|e| Error::Data(format!("{}: {e}", path.display())))?
        .with_guessed_format()
        .map_err(|e| Error::Data(format!("{}: {e}", path.display())))?
        .decode()
        .map_err(|e| Error::Data(format!("{}: {e}", path.display())))?;
    Ok(img.to_rgb8())
}

fn list(dir: &Path) -> Result<Vec<PathBuf>> {
    let rd = std::fs::read_dir(dir).map_err(|e| Error::Data(format!("{}: {e}", dir.display())))?;
    Ok(rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
}

pub(crate) fn natural_key(s: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut num: Option<u64> = None;
    for ch in s.chars() {
        if let Some(d) = ch.to_digit(10) {
            num = Some(num.unwrap_or(0) * 10 + d as u64);
        } else {
            if let Some(n) = num.take() {
                out.push((std::mem::take(&mut text), n));
            }
            text.push(ch);
        }
    }
    out.push((text, num.unwrap_or(0)));
    out
}
