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
