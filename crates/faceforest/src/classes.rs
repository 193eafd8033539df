//! The label set. `left_eye` is the **person's** left eye, which appears on the
//! image's right in an unmirrored photo; a horizontal flip swaps the two eye labels.

use serde::{Deserialize, Serialize};

/// Classes predicted by the forest, in label-id order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Class {
    Background = 0,
    Skin = 1,
    Hair = 2,
    LeftEye = 3,
    RightEye = 4,
    Nose = 5,
    Mouth = 6,
    /// The zero border added by the square resize; never part of the photo.
    Padding = 7,
}

/// Classes the forest predicts (the seven face classes plus padding).
pub const NUM_CLASSES: usize = 8;
/// Classes that exist in a photo (padding excluded).
pub const NUM_PHOTO_CLASSES: usize = 7;

pub const CLASS_NAMES: [&str; NUM_CLASSES] = [
    "background",
    "skin",
    "hair",
    "left_eye",
    "right_eye",
    "nose",
    "mouth",
    "padding",
];

/// Display colours. The six FASSEG colours are kept; the two eyes get two blues
/// so the split is visible.
pub const CLASS_COLOURS: [[u8; 3]; NUM_CLASSES] = [
    [255, 0, 0],
    [255, 255, 0],
    [127, 0, 0],
    [0, 0, 255],
    [128, 64, 255],
    [0, 255, 255],
    [0, 255, 0],
    [0, 0, 0],
];

/// FASSEG's label palette (both eyes share one colour in the files).
pub const FASSEG_PALETTE: [([u8; 3], Class); 6] = [
    ([255, 0, 0], Class::Background),
    ([255, 255, 0], Class::Skin),
    ([127, 0, 0], Class::Hair),
    ([0, 0, 255], Class::LeftEye),
    ([0, 255, 255], Class::Nose),
    ([0, 255, 0], Class::Mouth),
];

impl Class {
    pub fn from_id(id: u8) -> Option<Class> {
        use Class::*;
        Some(match id {
            0 => Background,
            1 => Skin,
            2 => Hair,
            3 => LeftEye,
            4 => RightEye,
            5 => Nose,
            6 => Mouth,
            7 => Padding,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        CLASS_NAMES[self as usize]
    }
    /// The label a horizontal flip turns this one into.
    pub fn mirrored(self) -> Class {
        match self {
            Class::LeftEye => Class::RightEye,
            Class::RightEye => Class::LeftEye,
            c => c,
        }
    }
}

/// A class as stored in a model file, so a model carries its own legend.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassInfo {
    pub name: String,
    pub colour: [u8; 3],
}

pub fn default_class_infos() -> Vec<ClassInfo> {
    CLASS_NAMES
        .iter()
        .zip(CLASS_COLOURS.iter())
        .map(|(n, c)| ClassInfo {
            name: n.to_string(),
            colour: *c,
        })
        .collect()
}
