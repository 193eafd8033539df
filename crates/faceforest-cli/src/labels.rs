use crate::args::LabelsArgs;
use crate::CliResult;
use faceforest::classes::CLASS_NAMES;
use faceforest::dataset::fasseg;
use faceforest::metrics::Confusion;
use faceforest::prep::LabelCleaning;

/// Counts how many pixels the seed's k-means cleaning labels differently from the
/// nearest-colour cleaning, per class.
pub fn run(a: LabelsArgs) -> CliResult {
    let mut conf = Confusion::new(7);
    let mut total_photos = 0;
    for split in ["train", "test"] {
        let near = fasseg::load(&a.fasseg, &a.dataset, split, &[], LabelCleaning::Nearest)?;
        let km = fasseg::load(&a.fasseg, &a.dataset, split, &[], LabelCleaning::KMeans)?;
        for (n, k) in near.iter().zip(&km) {
            conf.add_all(&n.labels.data, &k.labels.data, |c| c as usize);
            if let Some(dir) = &a.out {
                std::fs::create_dir_all(dir)?;
                let stem = n.name.replace('/', "_");
                let classes = faceforest::classes::default_class_infos();
                crate::segment::write_label_png(
                    &dir.join(format!("{stem}.nearest.png")),
                    n.labels.width,
                    n.labels.height,
                    &n.labels.data,
                    &classes,
                )?;
                crate::segment::write_label_png(
                    &dir.join(format!("{stem}.kmeans.png")),
                    k.labels.width,
                    k.labels.height,
                    &k.labels.data,
                    &classes,
                )?;
            }
        }
        total_photos += near.len();
    }
    let total = conf.total();
    let same: u64 = (0..7).map(|i| conf.get(i, i)).sum();
    println!(
        "{}: {} photos, {} pixels; k-means (seed) and nearest-colour cleaning differ on {} pixels ({:.3}%)",
        a.dataset,
        total_photos,
        total,
        total - same,
        100.0 * (total - same) as f64 / total as f64
    );
    println!(
        "{:>12} {:>12} {:>12} {:>12}",
        "class", "nearest", "k-means", "moved away"
    );
    for (c, name) in CLASS_NAMES.iter().enumerate().take(7) {
        let near: u64 = (0..7).map(|p| conf.get(c, p)).sum();
        let km: u64 = (0..7).map(|t| conf.get(t, c)).sum();
        println!(
            "{:>12} {:>12} {:>12} {:>12}",
            name,
            near,
            km,
            near - conf.get(c, c)
        );
    }
    Ok(())
}
