//! The model file: `FACEFRST` magic, a little-endian `u16` format version, then the
//! postcard-encoded [`Model`]. A model carries its classes, the square size and the
//! exact [`FeatureConfig`] it was trained with, so it can never be applied with
//! other features.

use crate::classes::ClassInfo;
use crate::error::{Error, Result};
use crate::features::autocontext::ContextLayout;
use crate::features::FeatureConfig;
use crate::forest::Forest;
use serde::{Deserialize, Serialize};

pub const MAGIC: &[u8; 8] = b"FACEFRST";
/// Bumped whenever the encoded layout changes.
pub const FORMAT_VERSION: u16 = 1;
pub const OLDEST_SUPPORTED_VERSION: u16 = 1;
/// Square sizes a model may declare.
pub const SIZE_RANGE: std::ops::RangeInclusive<u32> = 16..=1024;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub classes: Vec<ClassInfo>,
    /// Side `S` of the square the photo is resized and padded to.
    pub size: u32,
    pub features: FeatureConfig,
    /// Stage 1: reads the features only.
    pub forest: Forest,
    /// Auto-context stages: each reads the features plus the previous stage's
    /// probabilities around the pixel.
    pub context_stages: Vec<ContextStage>,
    /// Free-form provenance: training command, data, metrics.
    pub notes: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContextStage {
    pub layout: ContextLayout,
    pub forest: Forest,
}

/// Postcard's decoding errors in words for the person holding the file.
fn decode_message(e: postcard::Error) -> String {
    match e {
        postcard::Error::DeserializeUnexpectedEnd => {
            "the file ends before the model does (cut short, e.g. an incomplete download)".into()
        }
        other => other.to_string(),
    }
}

impl Model {
    /// Class probabilities over a prepared square image (`S*S` rows of all
    /// classes), running every stage.
    pub fn predict_square(&self, square: &image::RgbImage) -> Vec<f32> {
        let base = self.features.compute(square);
        let fb = base.nrows();
        let rows1 = self.forest.quantise_planes(base.view());
        let mut probs = self.forest.predict_binned(&rows1);
        for stage in &self.context_stages {
            // Quantise the features and the context samples straight into the
            // stage's rows (the same values training saw, without float planes).
            let f = stage.forest.n_features();
            let mut rows = vec![0u8; base.ncols() * f];
            if stage.forest.bins.edges[..fb] == self.forest.bins.edges[..] {
                // Same bins for the features as stage 1 (the usual case): copy its bytes.
                for (dst, src) in rows.chunks_exact_mut(f).zip(rows1.chunks_exact(fb)) {
                    dst[..fb].copy_from_slice(src);
                }
            } else {
                stage.forest.quantise_into(base.view(), &mut rows, f, 0);
            }
            let forest = &stage.forest;
            stage
                .layout
                .quantise_into(&probs, self.size, &mut rows, f, fb, |j, v| {
                    forest.quantise_value(fb + j, v)
                });
            probs = stage.forest.predict_binned(&rows);
        }
        probs
    }

    /// Every stage's forest, first to last.
    pub fn forests(&self) -> impl Iterator<Item = &Forest> {
        std::iter::once(&self.forest).chain(self.context_stages.iter().map(|s| &s.forest))
    }

    pub fn n_nodes(&self) -> usize {
        self.forests().map(|f| f.n_nodes()).sum()
    }

    pub fn n_trees(&self) -> usize {
        self.forests().map(|f| f.trees.len()).sum()
    }

    /// Names of the features each stage reads.
    pub fn stage_feature_names(&self) -> Vec<Vec<String>> {
        let base = self.features.names();
        let mut out = vec![base.clone()];
        for st in &self.context_stages {
            let mut n = base.clone();
            n.extend(st.layout.names());
            out.push(n);
        }
        out
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend(postcard::to_allocvec(self).expect("a model always serialises"));
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Model> {
        let head = MAGIC.len() + 2;
        if bytes.len() < head {
            return if !bytes.is_empty() && MAGIC.starts_with(&bytes[..bytes.len().min(MAGIC.len())])
            {
                Err(Error::CorruptModel(format!(
                    "the file ends inside its {head}-byte header"
                )))
            } else if bytes.is_empty() {
                Err(Error::CorruptModel("the file is empty".into()))
            } else {
                Err(Error::NotAModel)
            };
        }
        if &bytes[..MAGIC.len()] != MAGIC {
            return Err(Error::NotAModel);
        }
        let version = u16::from_le_bytes([bytes[8], bytes[9]]);
        if version > FORMAT_VERSION {
            return Err(Error::NewerModel {
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        if version < OLDEST_SUPPORTED_VERSION {
            return Err(Error::OlderModel {
                found: version,
                oldest: OLDEST_SUPPORTED_VERSION,
            });
        }
        let (model, rest): (Model, &[u8]) = postcard::take_from_bytes(&bytes[head..])
            .map_err(|e| Error::CorruptModel(decode_message(e)))?;
        if !rest.is_empty() {
            return Err(Error::CorruptModel(format!(
                "{} unexpected bytes after the model",
                rest.len()
            )));
        }
        model.validate()?;
        Ok(model)
    }

    /// Consistency between the parts; a model that passes cannot make prediction panic.
    pub fn validate(&self) -> Result<()> {
        let corrupt = |m: String| Err(Error::CorruptModel(m));
        // Decodes fine but was made for other features or classes than this build's.
        let mismatched = |m: String| Err(Error::MismatchedModel(m));
        self.features
            .validate()
            .or_else(|e| corrupt(e.to_string()))?;
        if !SIZE_RANGE.contains(&self.size) {
            return corrupt(format!(
                "square size {} outside {:?}",
                self.size, SIZE_RANGE
            ));
        }
        if self.classes.len() != crate::classes::NUM_CLASSES
            || self.forest.n_classes as usize != self.classes.len()
        {
            return mismatched(format!(
                "{} classes named, {} predicted; this build expects {}",
                self.classes.len(),
                self.forest.n_classes,
                crate::classes::NUM_CLASSES
            ));
        }
        if self.features.n_features() != self.forest.n_features() {
            return mismatched(format!(
                "its feature configuration gives {} features but its forest was trained on {}",
                self.features.n_features(),
                self.forest.n_features()
            ));
        }
        if self
            .forest
            .bins
            .edges
            .iter()
            .any(|e| e.len() > 255 || e.iter().any(|x| x.is_nan()))
        {
            return corrupt("bad bin edges".into());
        }
        self.forest.validate()?;
        for (i, st) in self.context_stages.iter().enumerate() {
            let want = self.features.n_features() + st.layout.n_features();
            if st.forest.n_features() != want || st.forest.n_classes != self.forest.n_classes {
                return mismatched(format!(
                    "context stage {} reads {} features, expected {want}",
                    i + 2,
                    st.forest.n_features()
                ));
            }
            if st.layout.samples.iter().any(|s| s.2 == 0) {
                return corrupt("context window of 0 px".into());
            }
            st.forest.validate()?;
        }
        Ok(())
    }

    pub fn note(&self, key: &str) -> Option<&str> {
        self.notes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}
