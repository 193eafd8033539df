//! Datasets as data: a small TOML file says where a dataset's photos and masks are,
//! how a mask encodes classes, how its values map onto faceforest's classes (or onto
//! *ignore*), how the eyes are told apart, how it splits into train and test, and
//! under which terms it may be used. The format is documented in `docs/datasets.md`;
//! `datasets/` at the repository root holds the shipped descriptions.

use super::fasseg::{natural_key, read_rgb};
use crate::classes::{Class, CLASS_NAMES, NUM_PHOTO_CLASSES};
use crate::error::{Error, Result};
use crate::pipeline::Photo;
use crate::prep::labels::{snap_to_palette, split_eyes, LabelCleaning, LabelMap};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The value a mask maps onto to say "neither train on nor score this pixel". On a
/// photo's own pixels it is stored as [`Class::Padding`], which the evaluation has
/// always skipped; training skips it too (see `pipeline::square_training_labels`).
pub const IGNORE: &str = "ignore";

// ---- the file as written ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDescription {
    name: String,
    terms: String,
    /// Folder the sources are relative to, itself relative to the description file.
    #[serde(default)]
    root: Option<PathBuf>,
    /// Environment variable that, when set, replaces `root`.
    #[serde(default)]
    root_env: Option<String>,
    photo_extensions: Vec<String>,
    mask_extension: String,
    masks: FileMasks,
    split: FileSplit,
    #[serde(rename = "source")]
    sources: Vec<FileSource>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileMasks {
    encoding: Encoding,
    /// Palette masks only: how anti-aliased colours become palette colours.
    #[serde(default)]
    cleaning: Option<Cleaning>,
    eyes: EyeRule,
    classes: BTreeMap<String, Vec<toml::Value>>,
}

#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// RGB colours, one per class (FASSEG).
    Palette,
    /// The raw sample of an 8-bit palette (or grayscale) PNG is the class id
    /// (CelebAMask-HQ); the PNG's colours are not looked at.
    Index,
}

#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Cleaning {
    /// Each pixel takes the nearest palette colour (anti-aliased edges).
    Nearest,
    /// The seed's k-means on gray values.
    Kmeans,
    /// Every pixel must be one of the palette colours exactly.
    Exact,
}

#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EyeRule {
    /// Both eye classes are one "eye"; the component on the image's right is the
    /// person's left eye (FASSEG's convention, `prep::labels::split_eyes`).
    ByPosition,
    /// Trust the mask's left/right values.
    AsLabelled,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSplit {
    method: SplitMethod,
    #[serde(default)]
    by: Option<SplitBy>,
    #[serde(default)]
    seed: Option<String>,
    #[serde(default)]
    one_in: Option<u64>,
}

#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum SplitMethod {
    Folders,
    Hash,
}

#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SplitBy {
    Photo,
    Person,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSource {
    photos: PathBuf,
    masks: PathBuf,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    part: Option<Part>,
    #[serde(default)]
    person: Option<FilePerson>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FilePerson {
    #[serde(default)]
    pattern: Option<String>,
    #[serde(default)]
    folder: Option<usize>,
}

// ---- the checked description ----

/// Which side of a dataset's split.
#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Train,
    Test,
}

impl Part {
    pub fn name(self) -> &'static str {
        match self {
            Part::Train => "train",
            Part::Test => "test",
        }
    }
}

/// How a photo is assigned to train or test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Split {
    /// Each source names its part.
    Folders,
    /// A photo (or all photos of a person) is in test iff
    /// `FNV-1a-64(seed + ":" + key) % one_in == 0`, key the file stem or the person.
    Hash {
        by: SplitBy,
        seed: String,
        one_in: u64,
    },
}

/// Who is in a photo, for a split by person.
#[derive(Clone, Debug)]
pub enum PersonRule {
    /// The photo's file stem (every photo its own person).
    Stem,
    /// The first capture group (else the whole match) of a pattern on the stem.
    Pattern(regex::Regex),
    /// The name of the folder `n` levels above the photo (1: the folder holding it).
    Folder(usize),
}

#[derive(Clone, Debug)]
pub struct Source {
    pub photos: PathBuf,
    pub masks: PathBuf,
    pub name: String,
    pub part: Option<Part>,
    pub person: PersonRule,
}

#[derive(Clone, Debug)]
pub enum MaskRule {
    Palette {
        cleaning: Cleaning,
        /// Colour → class, [`Class::Padding`] standing for ignore; sorted by class
        /// then colour so that ties in nearest-colour cleaning are deterministic.
        colours: Vec<([u8; 3], Class)>,
    },
    Index {
        /// Class per mask value; `None`: not in the mapping (an error when met).
        lut: Box<[Option<Class>; 256]>,
    },
}

/// A checked dataset description.
#[derive(Clone, Debug)]
pub struct Description {
    pub name: String,
    pub terms: String,
    /// The description file (for messages).
    pub file: PathBuf,
    /// Folder the sources are read from, in place.
    pub root: PathBuf,
    pub photo_extensions: Vec<String>,
    pub mask_extension: String,
    pub masks: MaskRule,
    pub eyes: EyeRule,
    pub split: Split,
    pub sources: Vec<Source>,
}

/// The class names a mapping may use.
fn class_names_for_message() -> String {
    let mut v: Vec<&str> = CLASS_NAMES[..NUM_PHOTO_CLASSES].to_vec();
    v.push(IGNORE);
    v.join(", ")
}

fn class_by_name(name: &str) -> Option<Class> {
    if name == IGNORE {
        return Some(Class::Padding);
    }
    CLASS_NAMES[..NUM_PHOTO_CLASSES]
        .iter()
        .position(|&n| n == name)
        .and_then(|i| Class::from_id(i as u8))
}

fn parse_colour(v: &toml::Value) -> Option<[u8; 3]> {
    let s = v.as_str()?.strip_prefix('#')?;
    if s.len() != 6 || !s.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let b = |i: usize| u8::from_str_radix(&s[i..i + 2], 16).ok();
    Some([b(0)?, b(2)?, b(4)?])
}

/// FNV-1a, 64 bits, of `bytes` (the split hash; written down in the descriptions).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

impl Description {
    /// Reads and checks a description file. Sources are relative to `root`, which
    /// is relative to the file's folder, unless `root_env` names a variable that is set.
    pub fn from_file(path: &Path) -> Result<Description> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Data(format!("dataset description {}: {e}", path.display())))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        Description::parse(&text, path, dir, None)
    }

    /// Parses a description. `file` names it in messages, `dir` is what `root` is
    /// relative to, and `root_override` (e.g. a `--fasseg` folder) replaces the root.
    pub fn parse(
        text: &str,
        file: &Path,
        dir: &Path,
        root_override: Option<PathBuf>,
    ) -> Result<Description> {
        let bad = |msg: String| Error::Data(format!("{}: {msg}", file.display()));
        let f: FileDescription = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        let root = match (
            root_override,
            f.root_env.as_ref().and_then(std::env::var_os),
        ) {
            (Some(r), _) => r,
            (None, Some(env)) => PathBuf::from(env),
            (None, None) => dir.join(f.root.clone().unwrap_or_else(|| PathBuf::from("."))),
        };
        if f.photo_extensions.is_empty() {
            return Err(bad(
                "photo_extensions is empty; list at least one (e.g. [\"jpg\", \"png\"])".into(),
            ));
        }
        let photo_extensions: Vec<String> = f
            .photo_extensions
            .iter()
            .map(|e| e.trim_start_matches('.').to_ascii_lowercase())
            .collect();
        // The mapping.
        let mut pairs: Vec<(Class, &toml::Value)> = Vec::new();
        for (name, values) in &f.masks.classes {
            let class = class_by_name(name).ok_or_else(|| {
                bad(format!(
                    "[masks.classes] maps onto `{name}`, which is not a class; the classes are {}",
                    class_names_for_message()
                ))
            })?;
            pairs.extend(values.iter().map(|v| (class, v)));
        }
        if pairs.is_empty() {
            return Err(bad("[masks.classes] maps no mask values".into()));
        }
        let class_name = |c: Class| {
            if c == Class::Padding {
                IGNORE
            } else {
                c.name()
            }
        };
        let masks = match f.masks.encoding {
            Encoding::Palette => {
                let mut colours: Vec<([u8; 3], Class)> = Vec::new();
                for (class, v) in pairs {
                    let c = parse_colour(v).ok_or_else(|| {
                        bad(format!(
                            "[masks.classes] {}: {v} is not a colour; palette masks map colours written \"#rrggbb\"",
                            class_name(class)
                        ))
                    })?;
                    if let Some((_, other)) = colours.iter().find(|(k, _)| *k == c) {
                        return Err(bad(format!(
                            "[masks.classes]: {v} is mapped twice (to {} and to {})",
                            class_name(*other),
                            class_name(class)
                        )));
                    }
                    colours.push((c, class));
                }
                colours.sort_by_key(|&(c, class)| (class as u8, c));
                MaskRule::Palette {
                    cleaning: f.masks.cleaning.unwrap_or(Cleaning::Nearest),
                    colours,
                }
            }
            Encoding::Index => {
                if f.masks.cleaning.is_some() {
                    return Err(bad(
                        "[masks] cleaning applies to palette masks only; index masks are read exactly".into(),
                    ));
                }
                let mut lut = Box::new([None; 256]);
                for (class, v) in pairs {
                    let id = v
                        .as_integer()
                        .and_then(|i| u8::try_from(i).ok())
                        .ok_or_else(|| {
                            bad(format!(
                                "[masks.classes] {}: {v} is not a mask value; index masks map whole numbers 0–255",
                                class_name(class)
                            ))
                        })?;
                    if let Some(other) = lut[id as usize] {
                        return Err(bad(format!(
                            "[masks.classes]: value {id} is mapped twice (to {} and to {})",
                            class_name(other),
                            class_name(class)
                        )));
                    }
                    lut[id as usize] = Some(class);
                }
                MaskRule::Index { lut }
            }
        };
        // The split.
        let split = match f.split.method {
            SplitMethod::Folders => {
                if f.split.by.is_some() || f.split.seed.is_some() || f.split.one_in.is_some() {
                    return Err(bad("[split] method = \"folders\" takes no by, seed or one_in: each [[source]] names its part".into()));
                }
                Split::Folders
            }
            SplitMethod::Hash => {
                let (Some(by), Some(seed), Some(one_in)) =
                    (f.split.by, f.split.seed.clone(), f.split.one_in)
                else {
                    return Err(bad("[split] method = \"hash\" needs by (\"photo\" or \"person\"), seed (text) and one_in (a whole number ≥ 2)".into()));
                };
                if one_in < 2 {
                    return Err(bad(format!(
                        "[split] one_in = {one_in}; it must be at least 2 (one photo in one_in is held out)"
                    )));
                }
                Split::Hash { by, seed, one_in }
            }
        };
        if f.sources.is_empty() {
            return Err(bad(
                "no [[source]]: name at least one photo folder and its mask folder".into(),
            ));
        }
        let mut sources = Vec::new();
        for (i, s) in f.sources.iter().enumerate() {
            let which = format!("[[source]] {} (photos = {:?})", i + 1, s.photos);
            match (&split, s.part) {
                (Split::Folders, None) => {
                    return Err(bad(format!(
                        "{which} has no part; with [split] method = \"folders\" each source says part = \"train\" or \"test\""
                    )))
                }
                (Split::Hash { .. }, Some(_)) => {
                    return Err(bad(format!(
                        "{which} has a part, but [split] method = \"hash\" decides the part of every photo"
                    )))
                }
                _ => {}
            }
            let person = match &s.person {
                None => PersonRule::Stem,
                Some(FilePerson {
                    pattern: Some(p),
                    folder: None,
                }) => PersonRule::Pattern(regex::Regex::new(p).map_err(|e| {
                    bad(format!("{which}: person pattern {p:?} is not a regular expression: {e}"))
                })?),
                Some(FilePerson {
                    pattern: None,
                    folder: Some(n),
                }) if *n >= 1 => PersonRule::Folder(*n),
                Some(_) => {
                    return Err(bad(format!(
                        "{which}: person takes either pattern = \"regex on the file stem\" or folder = N (N ≥ 1 folders up), not both or neither"
                    )))
                }
            };
            let photos = root.join(&s.photos);
            let masks = root.join(&s.masks);
            for (what, d) in [("photo", &photos), ("mask", &masks)] {
                if !d.is_dir() {
                    let hint = match &f.root_env {
                        Some(env) => format!(
                            " (root {}; set {env} to the folder holding the dataset)",
                            root.display()
                        ),
                        None => format!(" (root {})", root.display()),
                    };
                    return Err(bad(format!(
                        "{which}: {what} folder {} not found{hint}",
                        d.display()
                    )));
                }
            }
            sources.push(Source {
                photos,
                masks,
                name: s
                    .name
                    .clone()
                    .unwrap_or_else(|| s.photos.to_string_lossy().into_owned()),
                part: s.part,
                person,
            });
        }
        if let (
            Split::Hash {
                by: SplitBy::Person,
                ..
            },
            true,
        ) = (
            &split,
            sources.iter().all(|s| matches!(s.person, PersonRule::Stem)),
        ) {
            return Err(bad("[split] by = \"person\" but no [[source]] says who is in a photo (person = { pattern = \"...\" } or { folder = N })".into()));
        }
        Ok(Description {
            name: f.name,
            terms: f.terms,
            file: file.to_path_buf(),
            root,
            photo_extensions,
            mask_extension: f.mask_extension.trim_start_matches('.').to_string(),
            masks,
            eyes: f.masks.eyes,
            split,
            sources,
        })
    }

    /// Replaces a palette description's colour cleaning (the CLI's `--labels`).
    pub fn set_cleaning(&mut self, c: Cleaning) {
        if let MaskRule::Palette { cleaning, .. } = &mut self.masks {
            *cleaning = c;
        }
    }

    fn person_of(&self, source: &Source, photo: &Path) -> Result<String> {
        let stem = photo
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        match &source.person {
            PersonRule::Stem => Ok(stem),
            PersonRule::Pattern(re) => {
                let caps = re.captures(&stem).ok_or_else(|| {
                    Error::Data(format!(
                        "{}: the person pattern {:?} of {} does not match the photo's name {stem:?}",
                        photo.display(),
                        re.as_str(),
                        self.file.display()
                    ))
                })?;
                Ok(caps
                    .get(1)
                    .unwrap_or_else(|| caps.get(0).unwrap())
                    .as_str()
                    .to_string())
            }
            PersonRule::Folder(n) => photo
                .ancestors()
                .nth(*n)
                .and_then(|d| d.file_name())
                .map(|s| s.to_string_lossy().into_owned())
                .ok_or_else(|| {
                    Error::Data(format!(
                        "{}: no folder {n} levels up to name the person ({})",
                        photo.display(),
                        self.file.display()
                    ))
                }),
        }
    }

    /// Every photo file of the dataset with its mask, part and person, in order.
    pub fn list(&self) -> Result<Vec<Entry>> {
        let mut out = Vec::new();
        for s in &self.sources {
            let rd = std::fs::read_dir(&s.photos)
                .map_err(|e| Error::Data(format!("{}: {e}", s.photos.display())))?;
            for e in rd {
                let path = e
                    .map_err(|e| Error::Data(format!("{}: {e}", s.photos.display())))?
                    .path();
                let ext_ok = path.extension().is_some_and(|x| {
                    let x = x.to_string_lossy().to_ascii_lowercase();
                    self.photo_extensions.contains(&x)
                });
                if !ext_ok || !path.is_file() {
                    continue;
                }
                let file_name = path.file_name().unwrap().to_string_lossy().into_owned();
                let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
                let mask = s.masks.join(format!("{stem}.{}", self.mask_extension));
                let person = self.person_of(s, &path)?;
                let part = match (&self.split, s.part) {
                    (_, Some(p)) => p,
                    (Split::Hash { by, seed, one_in }, None) => {
                        let key = match by {
                            SplitBy::Photo => &stem,
                            SplitBy::Person => &person,
                        };
                        if fnv1a64(format!("{seed}:{key}").as_bytes()).is_multiple_of(*one_in) {
                            Part::Test
                        } else {
                            Part::Train
                        }
                    }
                    (Split::Folders, None) => unreachable!("checked in parse"),
                };
                out.push(Entry {
                    name: format!("{}/{file_name}", s.name),
                    photo: path,
                    mask,
                    part,
                    person,
                });
            }
        }
        out.sort_by_cached_key(|e| natural_key(&e.name));
        Ok(out)
    }

    /// Loads one part's photos and labels (in parallel), each with `weight`.
    pub fn load(&self, part: Part, weight: f32) -> Result<Vec<Photo>> {
        let entries: Vec<Entry> = self
            .list()?
            .into_iter()
            .filter(|e| e.part == part)
            .collect();
        if entries.is_empty() {
            return Err(Error::Data(format!(
                "{}: no {} photos (extensions {}) in {}",
                self.file.display(),
                part.name(),
                self.photo_extensions.join(", "),
                self.sources
                    .iter()
                    .map(|s| s.photos.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let loaded: Vec<Result<Photo>> = crate::par::map_range(entries.len(), |i| {
            let e = &entries[i];
            if !e.mask.is_file() {
                return Err(Error::Data(format!(
                    "{}: no mask {} for this photo",
                    e.photo.display(),
                    e.mask.display()
                )));
            }
            let photo = read_rgb(&e.photo)?;
            let labels = self.read_mask(&e.mask)?;
            if photo.dimensions() != (labels.width, labels.height) {
                return Err(Error::Data(format!(
                    "{}: photo is {}×{} but its mask {} is {}×{}",
                    e.photo.display(),
                    photo.width(),
                    photo.height(),
                    e.mask.display(),
                    labels.width,
                    labels.height
                )));
            }
            Ok(Photo {
                name: e.name.clone(),
                photo,
                labels,
                weight,
            })
        });
        loaded.into_iter().collect()
    }

    /// A mask file as class ids ([`Class::Padding`] for ignore), eyes split if asked.
    pub fn read_mask(&self, path: &Path) -> Result<LabelMap> {
        let mut map = match &self.masks {
            MaskRule::Palette { cleaning, colours } => {
                let rgb = read_rgb(path)?;
                match cleaning {
                    Cleaning::Nearest => snap_to_palette(&rgb, colours, LabelCleaning::Nearest),
                    Cleaning::Kmeans => snap_to_palette(&rgb, colours, LabelCleaning::KMeans),
                    Cleaning::Exact => {
                        let mut data = Vec::with_capacity(rgb.len() / 3);
                        for (x, y, p) in rgb.enumerate_pixels() {
                            let c = colours.iter().find(|(c, _)| *c == p.0).ok_or_else(|| {
                                Error::Data(format!(
                                    "{}: pixel ({x}, {y}) has colour #{:02x}{:02x}{:02x}, which {} does not map; add it to [masks.classes] (or to ignore), or use cleaning = \"nearest\"",
                                    path.display(), p.0[0], p.0[1], p.0[2], self.file.display()
                                ))
                            })?;
                            data.push(c.1 as u8);
                        }
                        LabelMap {
                            width: rgb.width(),
                            height: rgb.height(),
                            data,
                        }
                    }
                }
            }
            MaskRule::Index { lut } => {
                let (width, height, values) = read_index_png(path)?;
                let mut data = Vec::with_capacity(values.len());
                for (i, &v) in values.iter().enumerate() {
                    let c = lut[v as usize].ok_or_else(|| {
                        let mapped: Vec<String> = (0..256)
                            .filter(|&k| lut[k].is_some())
                            .map(|k| k.to_string())
                            .collect();
                        Error::Data(format!(
                            "{}: pixel ({}, {}) has mask value {v}, which {} does not map (it maps {}); add it to [masks.classes] (or to ignore)",
                            path.display(),
                            i as u32 % width,
                            i as u32 / width,
                            self.file.display(),
                            mapped.join(", ")
                        ))
                    })?;
                    data.push(c as u8);
                }
                LabelMap {
                    width,
                    height,
                    data,
                }
            }
        };
        if self.eyes == EyeRule::ByPosition {
            split_eyes(&mut map);
        }
        Ok(map)
    }
}

/// One photo file of a description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub photo: PathBuf,
    pub mask: PathBuf,
    pub part: Part,
    pub person: String,
}

/// The raw samples of a one-channel PNG (palette indices, not their colours; or gray
/// values), 1 to 8 bits per sample.
pub fn read_index_png(path: &Path) -> Result<(u32, u32, Vec<u8>)> {
    let bad = |msg: String| Error::Data(format!("{}: {msg}", path.display()));
    let file = std::fs::File::open(path).map_err(|e| bad(e.to_string()))?;
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::IDENTITY);
    let mut reader = decoder
        .read_info()
        .map_err(|e| bad(format!("not a readable PNG ({e})")))?;
    let info = reader.info();
    let (w, h) = (info.width, info.height);
    crate::limits::check_size(w, h).map_err(|e| bad(e.to_string()))?;
    let (ct, depth) = (info.color_type, info.bit_depth);
    if !matches!(ct, png::ColorType::Indexed | png::ColorType::Grayscale) {
        return Err(bad(format!(
            "an index mask must be a palette or grayscale PNG (one class id per pixel), but this one is {ct:?}"
        )));
    }
    let bits = match depth {
        png::BitDepth::One => 1,
        png::BitDepth::Two => 2,
        png::BitDepth::Four => 4,
        png::BitDepth::Eight => 8,
        png::BitDepth::Sixteen => {
            return Err(bad(
                "an index mask must have at most 8 bits per pixel, but this one has 16".into(),
            ))
        }
    };
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| bad("the PNG is too large".into()))?;
    let mut buf = vec![0u8; size];
    let frame = reader
        .next_frame(&mut buf)
        .map_err(|e| bad(format!("not a readable PNG ({e})")))?;
    let stride = frame.line_size;
    let per_byte = 8 / bits;
    let mut out = Vec::with_capacity(w as usize * h as usize);
    for y in 0..h as usize {
        let line = &buf[y * stride..(y + 1) * stride];
        for x in 0..w as usize {
            let byte = line[x / per_byte];
            let shift = 8 - bits * (x % per_byte + 1);
            out.push((byte >> shift) & ((1u16 << bits) - 1) as u8);
        }
    }
    Ok((w, h, out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::fasseg;

    fn repo() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("faceforest-desc-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("photos")).unwrap();
        std::fs::create_dir_all(d.join("masks")).unwrap();
        d
    }

    /// Writes an 8-bit palette PNG whose pixel indices are `ids`.
    pub(crate) fn write_index_png(path: &Path, w: u32, h: u32, ids: &[u8]) {
        let f = std::fs::File::create(path).unwrap();
        let mut e = png::Encoder::new(std::io::BufWriter::new(f), w, h);
        e.set_color(png::ColorType::Indexed);
        e.set_depth(png::BitDepth::Eight);
        // A palette whose colours say nothing about the class (all gray levels).
        e.set_palette((0..=255u8).flat_map(|v| [v, v, v]).collect::<Vec<u8>>());
        let mut wr = e.write_header().unwrap();
        wr.write_image_data(ids).unwrap();
    }

    const MINIMAL: &str = r#"
name = "mine"
terms = "mine to use"
photo_extensions = ["jpg", "png"]
mask_extension = "png"
[masks]
encoding = "index"
eyes = "by_position"
[masks.classes]
background = [0]
skin = [1]
ignore = [9]
[split]
method = "hash"
by = "photo"
seed = "1"
one_in = 2
[[source]]
photos = "photos"
masks = "masks"
"#;

    fn parse_in(dir: &Path, text: &str) -> Result<Description> {
        Description::parse(text, &dir.join("d.toml"), dir, None)
    }

    fn err(dir: &Path, text: &str) -> String {
        parse_in(dir, text).unwrap_err().to_string()
    }

    #[test]
    fn fnv1a64_matches_the_published_test_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn description_errors_name_the_file_and_the_problem() {
        let d = tmp("errors");
        assert!(parse_in(&d, MINIMAL).is_ok());
        let e = err(&d, &MINIMAL.replace("terms = \"mine to use\"\n", ""));
        assert!(
            e.contains("d.toml") && e.contains("missing field `terms`"),
            "{e}"
        );
        let e = err(
            &d,
            &MINIMAL.replace("name = \"mine\"", "name = \"mine\"\ncolour = 3"),
        );
        assert!(e.contains("unknown field `colour`"), "{e}");
        let e = err(
            &d,
            &MINIMAL.replace("eyes = \"by_position\"", "eyes = \"by_position\"\nsnap = 1"),
        );
        assert!(e.contains("unknown field `snap`"), "{e}");
        let e = err(
            &d,
            &MINIMAL.replace("masks = \"masks\"", "masks = \"labels\""),
        );
        assert!(
            e.contains("mask folder") && e.contains("labels") && e.contains("not found"),
            "{e}"
        );
        let e = err(&d, &MINIMAL.replace("skin = [1]", "eyes = [1]"));
        assert!(
            e.contains("`eyes`, which is not a class")
                && e.contains("background, skin, hair, left_eye, right_eye, nose, mouth, ignore"),
            "{e}"
        );
        let e = err(&d, &MINIMAL.replace("skin = [1]", "skin = [0]"));
        assert!(
            e.contains("value 0 is mapped twice (to background and to skin)"),
            "{e}"
        );
        let e = err(&d, &MINIMAL.replace("skin = [1]", "skin = [300]"));
        assert!(e.contains("300 is not a mask value"), "{e}");
        let e = err(
            &d,
            &MINIMAL.replace("encoding = \"index\"", "encoding = \"palette\""),
        );
        assert!(e.contains("is not a colour"), "{e}");
        let e = err(&d, &MINIMAL.replace("one_in = 2", "one_in = 1"));
        assert!(e.contains("one_in = 1"), "{e}");
        let e = err(&d, &MINIMAL.replace("by = \"photo\"", "by = \"person\""));
        assert!(e.contains("no [[source]] says who is in a photo"), "{e}");
        let e = err(
            &d,
            &MINIMAL.replace("method = \"hash\"", "method = \"folders\""),
        );
        assert!(e.contains("takes no by, seed or one_in"), "{e}");
        let e = err(
            &d,
            &MINIMAL.replace("encoding = \"index\"", "encoding = \"rgb\""),
        );
        assert!(e.contains("unknown variant `rgb`"), "{e}");
    }

    #[test]
    fn a_mask_value_outside_the_mapping_names_file_pixel_and_value() {
        let d = tmp("outside");
        let mut ids = vec![0u8; 16 * 16];
        ids[3 * 16 + 5] = 7;
        write_index_png(&d.join("masks/a.png"), 16, 16, &ids);
        let desc = parse_in(&d, MINIMAL).unwrap();
        let e = desc
            .read_mask(&d.join("masks/a.png"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("a.png: pixel (5, 3) has mask value 7")
                && e.contains("d.toml does not map (it maps 0, 1, 9)"),
            "{e}"
        );
        // Mapped values, ignore included, read as the raw indices.
        ids[3 * 16 + 5] = 9;
        ids[0] = 1;
        write_index_png(&d.join("masks/a.png"), 16, 16, &ids);
        let m = desc.read_mask(&d.join("masks/a.png")).unwrap();
        assert_eq!(m.get(5, 3), Class::Padding as u8);
        assert_eq!(m.get(0, 0), Class::Skin as u8);
        assert_eq!(m.get(1, 0), Class::Background as u8);
        // An exact palette refuses a colour it does not map.
        let exact = MINIMAL
            .replace(
                "encoding = \"index\"",
                "encoding = \"palette\"\ncleaning = \"exact\"",
            )
            .replace("[0]", "[\"#000000\"]")
            .replace("[1]", "[\"#ffffff\"]")
            .replace("[9]", "[\"#808080\"]");
        let desc = parse_in(&d, &exact).unwrap();
        let mut img = image::RgbImage::from_pixel(16, 16, image::Rgb([255, 255, 255]));
        img.put_pixel(2, 9, image::Rgb([250, 0, 0]));
        img.save(d.join("masks/b.png")).unwrap();
        let e = desc
            .read_mask(&d.join("masks/b.png"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("b.png: pixel (2, 9) has colour #fa0000, which"),
            "{e}"
        );
    }

    #[test]
    fn hash_split_by_photo_and_by_person() {
        let d = tmp("split");
        for stem in [
            "p01a", "p01b", "p02a", "p02b", "p03a", "p03b", "p04a", "p05a",
        ] {
            std::fs::write(d.join(format!("photos/{stem}.jpg")), b"").unwrap();
        }
        std::fs::write(d.join("photos/notes.txt"), b"").unwrap();
        let desc = parse_in(&d, MINIMAL).unwrap();
        let list = desc.list().unwrap();
        assert_eq!(list.len(), 8, "only the photo extensions");
        for e in &list {
            let stem = e.photo.file_stem().unwrap().to_str().unwrap();
            let test = fnv1a64(format!("1:{stem}").as_bytes()).is_multiple_of(2);
            assert_eq!(e.part == Part::Test, test, "{stem}");
        }
        let by_person = MINIMAL
            .replace("by = \"photo\"", "by = \"person\"")
            .replace(
                "masks = \"masks\"",
                "masks = \"masks\"\nperson = { pattern = \"^(p\\\\d+)\" }",
            );
        let desc = parse_in(&d, &by_person).unwrap();
        let list = desc.list().unwrap();
        for e in &list {
            assert_eq!(e.person, e.name[7..10].to_string(), "{}", e.name);
            let twin = list
                .iter()
                .find(|o| o.person == e.person && o.name != e.name);
            if let Some(t) = twin {
                assert_eq!(t.part, e.part, "a person's photos stay together");
            }
        }
    }

    #[test]
    fn fasseg_description_equals_the_fasseg_loader() {
        let Some(dir) = fasseg_dir() else { return };
        let desc = Description::parse(
            &std::fs::read_to_string(repo().join("datasets/fasseg.toml")).unwrap(),
            Path::new("datasets/fasseg.toml"),
            &repo().join("datasets"),
            Some(dir.clone()),
        )
        .unwrap();
        for (part, old) in [
            (
                Part::Train,
                fasseg::standard_train(&dir, LabelCleaning::Nearest).unwrap(),
            ),
            (
                Part::Test,
                fasseg::standard_test(&dir, LabelCleaning::Nearest).unwrap(),
            ),
        ] {
            let new = desc.load(part, 1.0).unwrap();
            assert_eq!(new.len(), old.len());
            for (a, b) in new.iter().zip(&old) {
                assert_eq!(a.name, b.name);
                assert_eq!(a.photo, b.photo, "{}", a.name);
                assert_eq!(a.labels, b.labels, "{}", a.name);
            }
        }
        assert_eq!(desc.load(Part::Train, 1.0).unwrap().len(), 62);
        // The k-means cleaning, too, is the old loader's.
        let mut km = desc.clone();
        km.set_cleaning(Cleaning::Kmeans);
        let a = km.load(Part::Test, 1.0).unwrap();
        let b = fasseg::standard_test(&dir, LabelCleaning::KMeans).unwrap();
        assert!(a.iter().zip(&b).all(|(a, b)| a.labels == b.labels));
    }

    #[test]
    fn celebamask_description_maps_every_mask_and_holds_out_one_in_five() {
        let dir = std::env::var_os("CELEBAMASK_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo().join("../shared/celebamask-hq"));
        if !dir.join("masks").is_dir() {
            eprintln!("SKIPPED: CelebAMask-HQ not found at {}", dir.display());
            return;
        }
        let desc = Description::parse(
            &std::fs::read_to_string(repo().join("datasets/celebamask-hq.toml")).unwrap(),
            Path::new("datasets/celebamask-hq.toml"),
            &repo().join("datasets"),
            Some(dir),
        )
        .unwrap();
        let list = desc.list().unwrap();
        let test = list.iter().filter(|e| e.part == Part::Test).count();
        assert_eq!(list.len(), 900);
        assert!((150..=230).contains(&test), "{test} validation photos");
        let photos = desc.load(Part::Test, 1.0).unwrap();
        assert_eq!(photos.len(), test);
        let mut counts = [0u64; 8];
        for p in &photos {
            p.labels.data.iter().for_each(|&c| counts[c as usize] += 1);
        }
        // Every class is present, and a little is ignored (glasses, hats, jewellery).
        assert!(counts.iter().all(|&n| n > 0), "{counts:?}");
        let total: u64 = counts.iter().sum();
        assert!((counts[7] as f64 / total as f64) < 0.05, "{counts:?}");
    }

    fn fasseg_dir() -> Option<PathBuf> {
        let d = std::env::var_os("FASSEG_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo().join("../shared/fasseg"));
        if d.join("frontal02").is_dir() {
            Some(d)
        } else {
            eprintln!("SKIPPED: FASSEG not found at {}", d.display());
            None
        }
    }
}
