//! Plots written next to a report: SVG charts (no fonts needed) and a PNG grid of
//! photos with true and predicted overlays.

use crate::CliResult;
use faceforest::metrics::curves::PrCurve;
use faceforest::pipeline::{evaluate_photo, Photo};
use faceforest::Segmenter;
use image::{imageops, RgbImage};
use plotters::prelude::*;
use std::path::Path;

fn colour_of(name: &str) -> RGBColor {
    let classes = faceforest::classes::default_class_infos();
    let c = classes
        .iter()
        .find(|c| c.name == name)
        .map(|c| c.colour)
        .unwrap_or([0, 0, 0]);
    // Yellow and cyan lines are hard to see on white: darken them a little.
    RGBColor(
        (c[0] as f32 * 0.85) as u8,
        (c[1] as f32 * 0.85) as u8,
        (c[2] as f32 * 0.85) as u8,
    )
}

pub fn pr_curves(curves: &[PrCurve], path: &Path) -> CliResult {
    let root = SVGBackend::new(path, (720, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Precision-recall per class (honest, test photos)",
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0f64..1f64, 0f64..1.02f64)?;
    chart
        .configure_mesh()
        .x_desc("recall")
        .y_desc("precision")
        .draw()?;
    for c in curves {
        let col = colour_of(&c.name);
        chart
            .draw_series(LineSeries::new(
                c.points.iter().copied(),
                col.stroke_width(2),
            ))?
            .label(format!("{} (AP {:.3})", c.name, c.average_precision))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], col.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

pub fn importances(names: &[String], values: &[f32], path: &Path) -> CliResult {
    let mut items: Vec<(String, f32)> = names.iter().cloned().zip(values.iter().copied()).collect();
    items.sort_by(|a, b| b.1.total_cmp(&a.1));
    items.truncate(30);
    let h = 80 + 24 * items.len() as u32;
    let root = SVGBackend::new(path, (640, h)).into_drawing_area();
    root.fill(&WHITE)?;
    let max = items.first().map_or(1.0, |x| x.1).max(1e-6) as f64 * 1.1;
    let n = items.len();
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Feature importance (mean decrease in impurity)",
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(90)
        .build_cartesian_2d(0f64..max, (0..n).into_segmented())?;
    let labels = items.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .y_labels(n)
        .draw()?;
    chart.draw_series(items.iter().enumerate().map(|(i, (_, v))| {
        Rectangle::new(
            [
                (0.0, SegmentValue::Exact(i)),
                (*v as f64, SegmentValue::Exact(i + 1)),
            ],
            RGBColor(70, 110, 180).filled(),
        )
    }))?;
    root.present()?;
    Ok(())
}

/// Rows of: photo | true labels over the photo | predicted labels over the photo.
pub fn overlay_grid(seg: &Segmenter, photos: &[Photo], n: usize, path: &Path) -> CliResult {
    let n = n.min(photos.len());
    if n == 0 {
        return Ok(());
    }
    let th = 256u32;
    let tw = (photos[0].photo.width() as f64 * th as f64 / photos[0].photo.height() as f64).round()
        as u32;
    let mut grid =
        RgbImage::from_pixel(3 * tw + 8, n as u32 * (th + 4), image::Rgb([255, 255, 255]));
    for (row, p) in photos.iter().take(n).enumerate() {
        let r = evaluate_photo(seg, p);
        let truth = crate::segment::overlay(&p.photo, &p.labels.data, seg.classes(), 0.55);
        let pred = crate::segment::overlay(&p.photo, &r.labels, seg.classes(), 0.55);
        for (col, img) in [&p.photo, &truth, &pred].into_iter().enumerate() {
            let small = imageops::resize(img, tw, th, imageops::FilterType::Triangle);
            imageops::replace(
                &mut grid,
                &small,
                (col as u32 * (tw + 4)) as i64,
                (row as u32 * (th + 4)) as i64,
            );
        }
    }
    grid.save(path)?;
    Ok(())
}
