//! The model file: `FACEFRST` magic, a little-endian `u16` format version, then the
//! postcard-encoded [`Model`]. A model carries its classes, the square size and the
//! exact [`FeatureConfig`] it was trained with, so it can never be applied with
//! other features.

use crate::classes::ClassInfo;
use crate::error::{Error, Result};
use crate::features::autocontext::ContextLayout;
use crate::features::FeatureConfig;
use crate::forest::planes::PlaneStack;
use crate::forest::Forest;
use crate::post::PostProcess;
use serde::{Deserialize, Serialize};

pub const MAGIC: &[u8; 8] = b"FACEFRST";
/// Bumped whenever the encoded layout changes.
pub const FORMAT_VERSION: u16 = 4;
pub const OLDEST_SUPPORTED_VERSION: u16 = 2;
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
    /// Clean-up of the last stage's probabilities (format version 3 on; its
    /// `part_scale` from version 4).
    pub post: PostProcess,
}

/// Format version 2: the same without [`Model::post`].
#[derive(Deserialize)]
struct ModelV2 {
    classes: Vec<ClassInfo>,
    size: u32,
    features: FeatureConfig,
    forest: Forest,
    context_stages: Vec<ContextStage>,
    notes: Vec<(String, String)>,
}

/// Format version 3: [`PostProcess`] without `part_scale`.
#[derive(Deserialize)]
struct ModelV3 {
    model: ModelV2,
    largest_parts: bool,
    smooth: u8,
}

impl From<ModelV3> for Model {
    fn from(m: ModelV3) -> Model {
        Model {
            post: PostProcess {
                largest_parts: m.largest_parts,
                smooth: m.smooth,
                part_scale: 1.0,
            },
            ..m.model.into()
        }
    }
}

impl From<ModelV2> for Model {
    fn from(m: ModelV2) -> Model {
        Model {
            classes: m.classes,
            size: m.size,
            features: m.features,
            forest: m.forest,
            context_stages: m.context_stages,
            notes: m.notes,
            post: PostProcess::default(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContextStage {
    pub layout: ContextLayout,
    pub forest: Forest,
    /// A pixel whose previous-stage top probability is at least this keeps that
    /// answer and skips the stage (above 1: no pixel skips). Most pixels are sure
    /// after stage 1, so this saves most of the stage's walk for little accuracy.
    pub skip_confident: f32,
}

impl ContextStage {
    /// Writes the box planes of the previous stage's `probs` into `stack` from
    /// plane `first`, quantised with this stage's bins, and returns the offsets of
    /// the context features (see [`PlaneStack`]).
    pub fn box_planes(&self, probs: &[f32], stack: &mut PlaneStack, first: usize) -> Vec<isize> {
        // `validate` made every feature reading one box plane share its bins.
        let fb = self.forest.n_features() - self.layout.n_features();
        let (edges, luts) = (&self.forest.bins.edges, &self.forest.packed().luts);
        let reader: Vec<usize> = self
            .layout
            .plane_features()
            .iter()
            .map(|j| fb + j)
            .collect();
        self.layout
            .box_planes(probs, stack, first, |plane, values, out| {
                let (e, lut) = (&edges[reader[plane]], &luts[reader[plane]]);
                lut.bin_slice(e, values, out);
            });
        self.layout.offsets(stack, first)
    }
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
        self.predict_square_marked(square, &mut |_| {})
    }

    /// [`Model::predict_square`], calling `mark` with each step's name as it ends,
    /// so a profiler can time the real path rather than a copy of it.
    pub fn predict_square_marked(
        &self,
        square: &image::RgbImage,
        mark: &mut dyn FnMut(&'static str),
    ) -> Vec<f32> {
        let base = self.features.compute(square);
        mark("features");
        let fb = base.nrows();
        let s = self.size as usize;
        let (pad, n_planes) = self.stack_shape();
        let mut stack = PlaneStack::new(s, pad, n_planes);
        stack.quantise(base.view(), &self.forest, 0);
        let origins = stack.origins();
        let base_offsets = stack.plane_offsets(0, fb);
        mark("quantise");
        let mut probs = self.forest.predict_at(&stack.data, &base_offsets, &origins);
        mark("walk");
        for stage in &self.context_stages {
            let mut offsets = base_offsets.clone();
            offsets.extend(stage.box_planes(&probs, &mut stack, fb));
            mark("box planes");
            let k = self.forest.n_classes as usize;
            let unsure: Vec<usize> = probs
                .chunks_exact(k)
                .enumerate()
                .filter(|(_, p)| p.iter().fold(0f32, |a, &b| a.max(b)) < stage.skip_confident)
                .map(|(i, _)| i)
                .collect();
            let picked: Vec<usize> = unsure.iter().map(|&i| origins[i]).collect();
            let again = stage.forest.predict_at(&stack.data, &offsets, &picked);
            for (&i, p) in unsure.iter().zip(again.chunks_exact(k)) {
                probs[i * k..(i + 1) * k].copy_from_slice(p);
            }
            mark("walk");
        }
        self.post
            .apply(&mut probs, s, self.forest.n_classes as usize);
        mark("post");
        probs
    }

    /// Border and plane count of the one [`PlaneStack`] prediction uses for all
    /// stages: the quantised features, then the box planes of the previous stage's
    /// probabilities (rewritten by each stage).
    fn stack_shape(&self) -> (usize, usize) {
        let stages = &self.context_stages;
        let pad = stages.iter().map(|st| st.layout.reach()).max();
        let ctx_planes = stages.iter().map(|st| st.layout.n_planes()).max();
        (
            pad.unwrap_or(0),
            self.features.n_features() + ctx_planes.unwrap_or(0),
        )
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
        let body = &bytes[head..];
        let (model, rest): (Model, &[u8]) = match version {
            2 => postcard::take_from_bytes::<ModelV2>(body).map(|(m, rest)| (m.into(), rest)),
            3 => postcard::take_from_bytes::<ModelV3>(body).map(|(m, rest)| (m.into(), rest)),
            _ => postcard::take_from_bytes(body),
        }
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
        if !(self.post.part_scale.is_finite() && self.post.part_scale > 0.0) {
            return corrupt(format!("face-part factor {}", self.post.part_scale));
        }
        // Prediction's walk nodes carry byte offsets into the feature planes in
        // 31 bits; no sane model comes near that.
        let (pad, n_planes) = self.stack_shape();
        let side = self.size as u128 + 2 * pad as u128;
        let stack = side * side * n_planes as u128;
        if stack >= 1 << 30 {
            return corrupt(format!("its feature planes would take {stack} bytes"));
        }
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
            if st.skip_confident.is_nan() {
                return corrupt(format!("context stage {} has no skip threshold", i + 2));
            }
            if st.layout.reach() > self.size as usize {
                return corrupt(format!("context stage {} samples beyond the square", i + 2));
            }
            // Prediction quantises the features once for all stages, and each box
            // plane once for all the samples that read it shifted.
            let (fb, edges) = (self.features.n_features(), &st.forest.bins.edges);
            if edges[..fb] != self.forest.bins.edges[..] {
                return corrupt(format!(
                    "context stage {} bins the features unlike stage 1",
                    i + 2
                ));
            }
            let group = st.layout.windows().1;
            let reader = st.layout.plane_features();
            for (k, &g) in group.iter().enumerate() {
                for c in 0..crate::classes::NUM_PHOTO_CLASSES {
                    let first = reader[g * crate::classes::NUM_PHOTO_CLASSES + c];
                    if edges[fb + k * crate::classes::NUM_PHOTO_CLASSES + c] != edges[fb + first] {
                        return corrupt(format!(
                            "context stage {} bins shifted samples of one plane differently",
                            i + 2
                        ));
                    }
                }
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
