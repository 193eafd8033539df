//! The `faceforest` binary, driven as a user would: train a tiny model, inspect it,
//! segment a photo, and get clear errors for bad files.

#[path = "support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_faceforest"))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("faceforest-cli-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn fasseg() -> Option<PathBuf> {
    support::fasseg_dir()
}

fn write_synthetic_png(path: &Path) {
    faceforest::synthetic::face(120, 160, 3)
        .photo
        .save(path)
        .unwrap();
}

#[test]
fn train_info_segment_eval() {
    let Some(data) = fasseg() else { return };
    let dir = tmp("flow");
    let model = dir.join("m.ff");
    let out = bin()
        .args([
            "train",
            "--size",
            "48",
            "--trees",
            "3",
            "--max-leaves",
            "300",
            "-o",
        ])
        .arg(&model)
        .arg("--fasseg")
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info = bin()
        .arg("info")
        .arg(&model)
        .arg("--json")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    assert_eq!(v["trees"], 3);
    assert_eq!(v["size"], 48);
    assert!(v["gzip_bytes"].as_u64().unwrap() < v["bytes"].as_u64().unwrap());
    let photo = dir.join("face.png");
    write_synthetic_png(&photo);
    let seg = bin()
        .arg("segment")
        .arg(&photo)
        .arg("-m")
        .arg(&model)
        .arg("-o")
        .arg(dir.join("seg"))
        .output()
        .unwrap();
    assert!(
        seg.status.success(),
        "{}",
        String::from_utf8_lossy(&seg.stderr)
    );
    let labels = image::open(dir.join("seg/face.labels.png")).unwrap();
    assert_eq!((labels.width(), labels.height()), (120, 160));
    assert!(dir.join("seg/face.overlay.png").is_file());
    let json = dir.join("r.json");
    let ev = bin()
        .arg("eval")
        .arg(&model)
        .arg("--json")
        .arg(&json)
        .arg("--fasseg")
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        ev.status.success(),
        "{}",
        String::from_utf8_lossy(&ev.stderr)
    );
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    for key in ["honest", "seed", "honest6"] {
        let acc = r[key]["accuracy"].as_f64().unwrap();
        assert!(acc > 0.6 && acc <= 1.0, "{key} accuracy {acc}");
        assert!(r[key]["macro_f1"].as_f64().is_some());
    }
    assert_eq!(r["honest"]["classes"].as_array().unwrap().len(), 7);
    assert_eq!(r["seed"]["classes"][0]["name"], "nc");
    assert!(json.with_extension("plots").join("pr_curves.svg").is_file());
    assert!(json.with_extension("plots").join("overlays.png").is_file());
}

#[test]
fn bad_model_files_give_clear_errors() {
    let dir = tmp("bad");
    let photo = dir.join("face.png");
    write_synthetic_png(&photo);
    let cases: [(&str, &[u8], &str); 3] = [
        ("empty.ff", b"", "empty"),
        (
            "png.ff",
            b"\x89PNG\r\n\x1a\nnot a model at all",
            "not a faceforest model",
        ),
        ("newer.ff", b"FACEFRST\xff\x00rest", "newer"),
    ];
    for (name, bytes, expect) in cases {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        let out = bin()
            .arg("segment")
            .arg(&photo)
            .arg("-m")
            .arg(&p)
            .arg("-o")
            .arg(dir.join("o"))
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expect), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
}

#[test]
fn bad_photos_give_clear_errors() {
    let dir = tmp("badphoto");
    let trunc = dir.join("trunc.png");
    let mut png = Vec::new();
    faceforest::synthetic::face(64, 64, 1)
        .photo
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    std::fs::write(&trunc, &png[..png.len() / 2]).unwrap();
    let model = dir.join("missing-model.ff");
    let out = bin()
        .arg("segment")
        .arg(&trunc)
        .arg("-m")
        .arg(&model)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing-model.ff"));
}

/// Every bad photo is reported by name with the core's message; the good one in the
/// same run is still segmented.
#[test]
fn bad_photos_are_named_with_the_reason() {
    let dir = tmp("badphotos");
    let model = dir.join("small.ff");
    std::fs::write(&model, faceforest::synthetic::small_model().to_bytes()).unwrap();
    let good = dir.join("good.png");
    write_synthetic_png(&good);
    let mut jpeg = Vec::new();
    faceforest::synthetic::face(64, 80, 2)
        .photo
        .write_to(
            &mut std::io::Cursor::new(&mut jpeg),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    let mut one = Vec::new();
    image::RgbImage::new(1, 1)
        .write_to(&mut std::io::Cursor::new(&mut one), image::ImageFormat::Png)
        .unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("cut.jpg", jpeg[..jpeg.len() / 2].to_vec(), "invalid image: the JPEG file is truncated (no end-of-image marker after the image data)"),
        ("empty.png", vec![], "invalid image: the file is empty (0 bytes); accepted formats: PNG, JPEG or WebP"),
        ("report.png", b"%PDF-1.4\n".to_vec(), "invalid image: the file is a PDF document, not a PNG, JPEG or WebP image"),
        ("dot.png", one, "invalid image: the image is 1×1; it must be at least 16×16 pixels"),
    ];
    let mut cmd = bin();
    cmd.arg("segment")
        .arg("-m")
        .arg(&model)
        .arg("-o")
        .arg(dir.join("out"));
    for (name, bytes, _) in &cases {
        std::fs::write(dir.join(name), bytes).unwrap();
        cmd.arg(dir.join(name));
    }
    let out = cmd.arg(&good).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    for (name, _, expect) in &cases {
        let line = err.lines().find(|l| l.contains(name)).unwrap_or_default();
        assert!(
            line.ends_with(expect) || line.contains(expect),
            "{name}: {err}"
        );
    }
    assert!(
        err.contains("4 of 5 photos could not be segmented"),
        "{err}"
    );
    assert!(dir.join("out/good.labels.png").is_file());
    assert!(!err.contains("panicked"), "{err}");
}
