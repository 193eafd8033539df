//! The datasets a command reads: `--dataset` description files (with weights), or
//! the built-in FASSEG description rooted at `--fasseg`.

use crate::args::{Cleaning, DataArgs};
use crate::CliResult;
use faceforest::dataset::description::{self, Description, Part};
use faceforest::pipeline::Photo;
use std::path::Path;

/// The shipped FASSEG description, for runs without `--dataset`.
const FASSEG: &str = include_str!("../../../datasets/fasseg.toml");

impl DataArgs {
    /// Every dataset with its weight.
    pub fn descriptions(&self) -> CliResult<Vec<(Description, f32)>> {
        let mut out = if self.datasets.is_empty() {
            vec![(
                Description::parse(
                    FASSEG,
                    Path::new("datasets/fasseg.toml (built in)"),
                    Path::new("."),
                    Some(self.fasseg.clone()),
                )?,
                1.0,
            )]
        } else {
            self.datasets
                .iter()
                .map(|(p, w)| Ok((Description::from_file(p)?, *w)))
                .collect::<CliResult<Vec<_>>>()?
        };
        if let Some(c) = self.labels {
            for (d, _) in &mut out {
                d.set_cleaning(match c {
                    Cleaning::Nearest => description::Cleaning::Nearest,
                    Cleaning::Kmeans => description::Cleaning::Kmeans,
                });
            }
        }
        Ok(out)
    }

    /// One part of every dataset, in the order given; training photos carry their
    /// dataset's weight, test photos weight 1.
    pub fn load(&self, part: Part) -> CliResult<Vec<Photo>> {
        let mut photos = Vec::new();
        for (d, w) in self.descriptions()? {
            let w = if part == Part::Train { w } else { 1.0 };
            photos.extend(d.load(part, w)?);
        }
        Ok(photos)
    }

    /// "NAME part (FILE), weight W; ..." for reports and model notes.
    pub fn summary(&self, part: Part) -> CliResult<String> {
        Ok(self
            .descriptions()?
            .iter()
            .map(|(d, w)| {
                let mut s = format!("{} {} ({})", d.name, part.name(), d.file.display());
                if part == Part::Train && *w != 1.0 {
                    s += &format!(", weight {w}");
                }
                s
            })
            .collect::<Vec<_>>()
            .join("; "))
    }

    /// Each dataset's terms, one paragraph each.
    pub fn terms(&self) -> CliResult<String> {
        Ok(self
            .descriptions()?
            .iter()
            .map(|(d, _)| format!("{}: {}", d.name, d.terms.trim().replace('\n', " ")))
            .collect::<Vec<_>>()
            .join("\n"))
    }
}
