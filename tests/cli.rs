//! The `faceforest` binary, driven as a user would: train a tiny model, inspect it,
//! segment a photo, and get clear errors for bad files.

#[path = "support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_faceforest"))
}

/// Runs the command and returns its output, failing the test with its stderr if it
/// did not succeed.
fn run_ok(cmd: &mut Command) -> std::process::Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
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
    run_ok(
        bin()
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
            .arg(&data),
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
    run_ok(
        bin()
            .arg("segment")
            .arg("--whole")
            .arg(&photo)
            .arg("-m")
            .arg(&model)
            .arg("-o")
            .arg(dir.join("seg")),
    );
    let labels = image::open(dir.join("seg/face.labels.png")).unwrap();
    assert_eq!((labels.width(), labels.height()), (120, 160));
    assert!(dir.join("seg/face.overlay.png").is_file());
    let json = dir.join("r.json");
    run_ok(
        bin()
            .arg("eval")
            .arg(&model)
            .arg("--json")
            .arg(&json)
            .arg("--fasseg")
            .arg(&data),
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
        .arg("--whole")
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

fn small_model(dir: &Path) -> PathBuf {
    let model = dir.join("small.ff");
    std::fs::write(&model, faceforest::synthetic::small_model().to_bytes()).unwrap();
    model
}

/// `segment --whole`: these tests are about the photo files, the outputs and the
/// options, on the whole-picture route; framing has tests of its own.
fn segment(model: &Path, out: &Path, photos: &[&Path], extra: &[&str]) -> (bool, String) {
    let o = bin()
        .arg("segment")
        .arg("--whole")
        .arg("-m")
        .arg(model)
        .arg("-o")
        .arg(out)
        .args(extra)
        .args(photos)
        .output()
        .unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn jpeg_of(img: &image::RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut out),
        image::ImageFormat::Jpeg,
    )
    .unwrap();
    out
}

/// A phone JPEG tagged orientation 6 or 8 gets labels of its upright size.
#[test]
fn exif_orientation_gives_upright_labels() {
    let dir = tmp("exif");
    let model = small_model(&dir);
    let jpeg = jpeg_of(&faceforest::synthetic::face(80, 64, 7).photo);
    for o in [6u16, 8] {
        let p = dir.join(format!("turned{o}.jpg"));
        std::fs::write(&p, faceforest::synthetic::with_exif_orientation(&jpeg, o)).unwrap();
        let (ok, err) = segment(&model, &dir.join("out"), &[&p], &[]);
        assert!(ok, "{err}");
        let labels = image::open(dir.join(format!("out/turned{o}.labels.png"))).unwrap();
        assert_eq!(
            (labels.width(), labels.height()),
            (64, 80),
            "orientation {o}"
        );
    }
}

#[test]
fn grayscale_photos_are_refused() {
    let dir = tmp("gray");
    let model = small_model(&dir);
    let photo = faceforest::synthetic::face(64, 64, 8).photo;
    let gray = image::DynamicImage::ImageRgb8(photo).to_luma_alpha8();
    let p = dir.join("gray.png");
    gray.save(&p).unwrap();
    let (ok, err) = segment(&model, &dir.join("out"), &[&p], &[]);
    assert!(!ok);
    assert!(err.contains("gray.png: invalid image: the photo is grayscale (black and white); the model was trained on colour photos"), "{err}");
    assert!(!dir.join("out/gray.labels.png").exists());
}

#[test]
fn same_named_photos_are_refused_before_writing() {
    let dir = tmp("samename");
    let model = small_model(&dir);
    std::fs::create_dir_all(dir.join("a")).unwrap();
    std::fs::create_dir_all(dir.join("b")).unwrap();
    let (a, b) = (dir.join("a/face.png"), dir.join("b/face.png"));
    write_synthetic_png(&a);
    write_synthetic_png(&b);
    let out = dir.join("out");
    let (ok, err) = segment(&model, &out, &[&a, &b], &[]);
    assert!(!ok);
    let want = format!(
        "error: {} and {} would both write face.labels.png in {}; rename one or segment them in separate runs (nothing was written)",
        a.display(),
        b.display(),
        out.display()
    );
    assert_eq!(err.trim_end(), want);
    assert!(!out.exists(), "nothing written");
}

#[test]
fn numeric_options_are_range_checked() {
    let dir = tmp("ranges");
    let model = small_model(&dir);
    let photo = dir.join("face.png");
    write_synthetic_png(&photo);
    for bad in ["NaN", "7", "1.5", "inf"] {
        let (ok, err) = segment(&model, &dir.join("out"), &[&photo], &["--opacity", bad]);
        assert!(!ok, "--opacity {bad}");
        assert!(
            err.contains(&format!(
                "invalid value '{bad}' for '--opacity <OPACITY>': {bad} is not within 0–1"
            )),
            "{err}"
        );
    }
    assert!(!dir.join("out/face.overlay.png").exists());
    let (ok, err) = segment(&model, &dir.join("out"), &[&photo], &["--opacity", "0.3"]);
    assert!(ok, "{err}");
    // Training, evaluation and grid-search options are refused before any data is read.
    let cases: [&[&str]; 12] = [
        &["train", "--trees", "0"],
        &["train", "--size", "4"],
        &["train", "--max-samples", "0"],
        &["train", "--max-samples", "NaN"],
        &["train", "--part-scale", "200"],
        &["train", "--skip-confident", "NaN"],
        &["train", "--class-weight-power", "inf"],
        &["train", "--context-folds", "1"],
        &["eval", "m.ff", "--part-scale", "NaN"],
        &["grid-search", "--folds", "1"],
        &["grid-search", "--grid-part-scale", "1,NaN"],
        &["grid-search", "--grid-trees", "10,0"],
    ];
    for args in cases {
        let o = bin().args(args).arg("--fasseg").arg(&dir).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("invalid value"), "{args:?}: {err}");
    }
}

#[cfg(unix)]
#[test]
fn a_named_pipe_is_refused_without_blocking() {
    let dir = tmp("fifo");
    let model = small_model(&dir);
    let fifo = dir.join("pipe.png");
    let _ = std::fs::remove_file(&fifo);
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let good = dir.join("good.png");
    write_synthetic_png(&good);
    // Were the pipe opened, the run would block forever (no writer); the test would hang.
    let (ok, err) = segment(&model, &dir.join("out"), &[&fifo, &good], &[]);
    assert!(!ok);
    assert!(
        err.contains(
            "pipe.png: not a regular file (a folder, named pipe or device); give a photo file"
        ),
        "{err}"
    );
    assert!(dir.join("out/good.labels.png").is_file());
    let (ok, err) = segment(&fifo, &dir.join("out"), &[&good], &[]);
    assert!(!ok);
    assert!(err.contains("pipe.png: not a regular file"), "{err}");
}

#[test]
fn decoder_and_output_errors_are_clear() {
    let dir = tmp("clear");
    let model = small_model(&dir);
    let cut = dir.join("cut.jpg");
    std::fs::write(
        &cut,
        &jpeg_of(&faceforest::synthetic::face(64, 64, 9).photo)[..100],
    )
    .unwrap();
    let (ok, err) = segment(&model, &dir.join("out"), &[&cut], &[]);
    assert!(!ok);
    assert!(
        err.contains("cut.jpg: invalid image: the JPEG file is truncated (it ends before the image data does)"),
        "{err}"
    );
    let file = dir.join("taken");
    std::fs::write(&file, b"x").unwrap();
    let good = dir.join("good.png");
    write_synthetic_png(&good);
    let (ok, err) = segment(&model, &file, &[&good], &[]);
    assert!(!ok);
    assert_eq!(
        err.trim_end(),
        format!(
            "error: the output folder {} is an existing file; give a folder with -o",
            file.display()
        )
    );
}

/// Alpha is composited over white (as on the site): a face hidden under alpha 0 is
/// not segmented; a fully transparent image is refused.
#[test]
fn transparent_photos_follow_the_core_rule() {
    let dir = tmp("alpha");
    let model = small_model(&dir);
    let photo = faceforest::synthetic::face(64, 64, 10).photo;
    let hidden = image::RgbaImage::from_fn(64, 64, |x, y| {
        let p = photo.get_pixel(x, y).0;
        image::Rgba([p[0], p[1], p[2], 0])
    });
    let p = dir.join("hidden.png");
    hidden.save(&p).unwrap();
    let (ok, err) = segment(&model, &dir.join("out"), &[&p], &[]);
    assert!(!ok);
    assert!(err.contains("hidden.png: invalid image: the image is fully transparent (every pixel has alpha 0); there is nothing to segment"), "{err}");
}

/// An 8000×300 strip is refused with what to do, not labelled whole.
#[test]
fn panoramas_are_refused_with_advice() {
    let dir = tmp("pano");
    let model = small_model(&dir);
    let strip = image::RgbImage::from_fn(8000, 300, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, 90])
    });
    let p = dir.join("strip.png");
    strip.save(&p).unwrap();
    let (ok, err) = segment(&model, &dir.join("out"), &[&p], &[]);
    assert!(!ok);
    assert!(err.contains("strip.png: invalid image: the photo is 8000×300 (26.7:1); segmented whole, a face in it would be shrunk to a few pixels — crop it around the face to at most 4:1"), "{err}");
}

/// Without --model, `segment` uses the shipped model built into the binary, so it
/// works from any folder (the old default path worked only from the repository root).
#[test]
fn segment_without_a_model_works_from_any_folder() {
    let dir = tmp("builtin");
    let photo = dir.join("face.png");
    write_synthetic_png(&photo);
    run_ok(
        bin()
            .current_dir(&dir)
            .args(["segment", "--whole", "face.png", "-o", "seg"]),
    );
    let labels = image::open(dir.join("seg/face.labels.png")).unwrap();
    assert_eq!((labels.width(), labels.height()), (120, 160));
    assert!(dir.join("seg/face.overlay.png").is_file());
    // `info` with no model describes the same built-in model: the shipped file.
    let info = bin()
        .current_dir(&dir)
        .args(["info", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    assert_eq!(v["file"], "the built-in shipped model");
    let shipped = std::fs::metadata(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/models/faceforest.model"),
    )
    .unwrap();
    assert_eq!(v["bytes"].as_u64(), Some(shipped.len()));
    // A --model that is bad is still reported by its name, not replaced by the default.
    let bad = dir.join("bad.ff");
    std::fs::write(&bad, b"").unwrap();
    let out = bin()
        .current_dir(&dir)
        .args(["segment", "face.png", "-o", "seg2", "-m", "bad.ff"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: bad.ff: "), "{err}");
    assert!(!dir.join("seg2/face.labels.png").exists());
}

fn print_options(args: &[&str]) -> serde_json::Value {
    let out = bin()
        .arg("train")
        .args(args)
        .arg("--print-options")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `--preset shipped` stands for the shipped model's recipe (the flags
/// scripts/train-web-model.sh spelled out before the preset existed), and the script
/// now trains with it.
#[test]
fn the_shipped_preset_is_the_scripts_recipe() {
    let recipe = "--size 128 --colour lab --hog-cell 6 --context 9,25 \
        --trees 16 --max-leaves 3000 --class-weight-power 0.5 --augment 1 \
        --context-stages 2 --skip-confident 0.95 --largest-parts --smooth 1 --part-scale 0.65 --seed 0 \
        --size-budget 2000000";
    let flags: Vec<&str> = recipe.split_whitespace().collect();
    let spelled = print_options(&flags);
    let preset = print_options(&["--preset", "shipped"]);
    assert_eq!(preset["options"], spelled["options"]);
    assert_eq!(preset["preset"], "shipped");
    // ... and the options recorded in the shipped model itself.
    let info = bin().args(["info", "--json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    let recorded = v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n[0] == "options")
        .expect("the shipped model records its options");
    let recorded: serde_json::Value = serde_json::from_str(recorded[1].as_str().unwrap()).unwrap();
    assert_eq!(preset["options"], recorded);
    assert_ne!(
        print_options(&[])["options"],
        preset["options"],
        "the defaults differ"
    );
    // An option given with the preset wins; the rest stay the preset's.
    let two = print_options(&["--preset", "shipped", "--trees", "2"]);
    assert_eq!(two["options"]["forest"]["n_trees"], 2);
    assert_eq!(two["options"]["size"], 128);
    let script = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/train-web-model.sh"),
    )
    .unwrap();
    let train_line = script
        .lines()
        .find(|l| l.contains("faceforest train"))
        .expect("the script trains");
    assert!(train_line.contains("--preset shipped"), "{train_line}");
    let out = bin().args(["train", "--preset", "fancy"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("invalid value 'fancy' for '--preset <PRESET>'"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A tiny run from the preset records the preset, its expanded command line and the
/// options in the model.
#[test]
fn a_preset_run_is_recorded_in_the_model() {
    let Some(data) = fasseg() else { return };
    let dir = tmp("preset");
    let model = dir.join("p.ff");
    run_ok(
        bin()
            .args([
                "train", "--preset", "shipped", "--size", "32", "--trees", "1",
            ])
            .args(["--max-leaves", "40", "--context-stages", "1", "-o"])
            .arg(&model)
            .arg("--fasseg")
            .arg(&data),
    );
    let info = bin()
        .arg("info")
        .arg(&model)
        .arg("--json")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    let notes: std::collections::HashMap<String, String> =
        serde_json::from_value::<Vec<(String, String)>>(v["notes"].clone())
            .unwrap()
            .into_iter()
            .collect();
    assert_eq!(notes["preset"], "shipped");
    assert!(
        notes["trained_with"].contains("--preset shipped")
            && notes["trained_with"].contains("--colour lab")
            && notes["trained_with"].contains("--part-scale 0.65"),
        "{}",
        notes["trained_with"]
    );
    let opts: serde_json::Value = serde_json::from_str(&notes["options"]).unwrap();
    assert_eq!(opts["size"], 32);
    assert_eq!(opts["forest"]["n_trees"], 1);
    assert_eq!(opts["context_stages"], 1);
    assert_eq!(opts["augment"]["copies"], 1);
    assert_eq!(opts["post"]["largest_parts"], true);
    assert_eq!(v["stages"], 2);
    assert_eq!(v["post"]["smooth"], 1);
}

/// A user's own folder, not FASSEG's layout: JPEG photos, masks whose gray value is a
/// class id (7 = glasses, ignored), described by a TOML file; `train`, `eval` and
/// `segment` run on it from another directory.
#[test]
fn a_users_own_folder_of_jpegs_and_class_id_masks() {
    let Some(data) = fasseg() else { return };
    let dir = tmp("own-folder");
    let folder = dir.join("my photos");
    std::fs::create_dir_all(folder.join("images")).unwrap();
    std::fs::create_dir_all(folder.join("masks")).unwrap();
    let photos = faceforest::dataset::fasseg::standard_train(
        &data,
        faceforest::prep::labels::LabelCleaning::Nearest,
    )
    .unwrap();
    for (i, p) in photos.iter().take(14).enumerate() {
        std::fs::write(
            folder.join(format!("images/p{i:02}.jpg")),
            jpeg_of(&p.photo),
        )
        .unwrap();
        // Ids 0..=6 as in faceforest; a band of "glasses" (7) across the top rows.
        let mask = image::GrayImage::from_fn(p.labels.width, p.labels.height, |x, y| {
            let v = p.labels.data[(y * p.labels.width + x) as usize];
            image::Luma([if y < 8 { 7 } else { v }])
        });
        mask.save(folder.join(format!("masks/p{i:02}.png")))
            .unwrap();
    }
    let desc = dir.join("mine.toml");
    std::fs::write(
        &desc,
        r#"name = "my photos"
terms = "Mine; for this test only."
root = "my photos"
photo_extensions = ["jpg"]
mask_extension = "png"
[masks]
encoding = "index"
eyes = "as_labelled"
[masks.classes]
background = [0]
skin = [1]
hair = [2]
left_eye = [3]
right_eye = [4]
nose = [5]
mouth = [6]
ignore = [7]
[split]
method = "hash"
by = "photo"
seed = "1"
one_in = 4
[[source]]
photos = "images"
masks = "masks"
"#,
    )
    .unwrap();
    // Run from an unrelated folder: every path is absolute or relative to the file.
    let elsewhere = tmp("own-folder-cwd");
    let run = |args: &[&std::ffi::OsStr]| {
        let o = bin().current_dir(&elsewhere).args(args).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(o.status.success(), "{args:?}: {err}");
        (String::from_utf8_lossy(&o.stdout).into_owned(), err)
    };
    let model = dir.join("mine.ff");
    let (_, err) = run(&[
        "train".as_ref(),
        "--dataset".as_ref(),
        desc.as_os_str(),
        "--size".as_ref(),
        "48".as_ref(),
        "--trees".as_ref(),
        "3".as_ref(),
        "--max-leaves".as_ref(),
        "300".as_ref(),
        "-o".as_ref(),
        model.as_os_str(),
    ]);
    let n_train: usize = err
        .split("training on ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no photo count in: {err}"));
    assert!(
        (6..14).contains(&n_train),
        "{n_train} training photos of 14: {err}"
    );
    let (info, _) = run(&["info".as_ref(), model.as_os_str(), "--json".as_ref()]);
    assert!(
        info.contains("Mine; for this test only."),
        "terms not in the model: {info}"
    );
    let json = dir.join("mine.json");
    run(&[
        "eval".as_ref(),
        model.as_os_str(),
        "--dataset".as_ref(),
        desc.as_os_str(),
        "--json".as_ref(),
        json.as_os_str(),
    ]);
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let acc = r["honest"]["accuracy"].as_f64().unwrap();
    assert!(
        acc > 0.6 && acc <= 1.0,
        "honest accuracy {acc} on the held-out photos"
    );
    let out = dir.join("seg");
    run(&[
        "segment".as_ref(),
        "-m".as_ref(),
        model.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        folder.join("images/p00.jpg").as_os_str(),
    ]);
    let labels = image::open(out.join("p00.labels.png")).unwrap();
    assert_eq!(
        (labels.width(), labels.height()),
        photos[0].photo.dimensions()
    );
}

fn astronaut() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/demo/assets/astronaut.png")
}

/// [`segment_with`], failing the test with its stderr unless it succeeds.
fn segment_ok(extra: &[&str], photo: &Path, out: &Path) -> std::process::Output {
    let o = segment_with(extra, photo, out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

/// `faceforest segment EXTRA PHOTO -o OUT` with the built-in model and detector.
fn segment_with(extra: &[&str], photo: &Path, out: &Path) -> std::process::Output {
    bin()
        .arg("segment")
        .args(extra)
        .arg(photo)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap()
}

/// Skin pixels (class 1) below `row`.
fn skin_below(img: &image::GrayImage, row: usize) -> usize {
    img.rows()
        .skip(row)
        .flatten()
        .filter(|p| p.0[0] == 1)
        .count()
}

fn label_counts(path: &Path) -> (image::GrayImage, [u64; 8]) {
    // The label PNG is indexed: pixel values are class ids.
    let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut r = dec.read_info().unwrap();
    let mut buf = vec![0; r.output_buffer_size().unwrap()];
    let info = r.next_frame(&mut buf).unwrap();
    let img =
        image::GrayImage::from_raw(info.width, info.height, buf[..info.buffer_size()].to_vec())
            .unwrap();
    let mut n = [0u64; 8];
    for p in img.pixels() {
        n[p.0[0] as usize] += 1;
    }
    (img, n)
}

/// `segment` frames the face like the page: on the sample portrait the face parts
/// are found and the orange spacesuit below the face stays background, while
/// `--whole` (the old behaviour) paints the suit as skin.
#[test]
fn segment_frames_the_face_by_default() {
    let dir = tmp("framed");
    let out = segment_ok(&[], &astronaut(), &dir.join("f"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("face 1 of 1"), "{err}");
    let (img, n) = label_counts(&dir.join("f/astronaut.labels.png"));
    assert!(n[1] > 5000 && n[2] > 3000, "skin and hair: {n:?}");
    assert!(n[5] > 150, "nose: {n:?}");
    assert_eq!(skin_below(&img, 200), 0, "{n:?}");
    segment_ok(&["--whole"], &astronaut(), &dir.join("w"));
    let (img, _) = label_counts(&dir.join("w/astronaut.labels.png"));
    let suit = skin_below(&img, 200);
    assert!(suit > 30_000, "whole picture: suit as skin {suit}");
}

/// No face: the choices the page offers, said; a face box by hand frames the photo;
/// asking for a face that is not there, or a box outside the photo, is an error.
#[test]
fn segment_without_a_face_offers_the_whole_picture_or_a_box() {
    let dir = tmp("noface");
    // A wall: a gradient with a little noise, no face in it.
    let photo = dir.join("wall.png");
    let mut s = 7u32;
    image::RgbImage::from_fn(120, 160, |x, y| {
        s = s.wrapping_mul(1664525).wrapping_add(1013904223);
        let n = (s >> 28) as u8;
        image::Rgb([150 + (x / 4) as u8 + n, 140 + (y / 8) as u8, 120 + n])
    })
    .save(&photo)
    .unwrap();
    let o = segment_with(&[], &photo, &dir.join("o"));
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("wall.png: no face found; segment the whole picture with --whole, or place a face box by hand with --box X,Y,W,H"), "{err}");
    assert!(!dir.join("o/wall.labels.png").exists());
    let o = segment_ok(&["--box", "30,50,60,60"], &photo, &dir.join("b"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("the face box given"));
    let (img, _) = label_counts(&dir.join("b/wall.labels.png"));
    assert_eq!(img.dimensions(), (120, 160));
    for (args, expect) in [
        (
            &["--box", "500,500,10,10"][..],
            "lies entirely outside the 120×160 photo",
        ),
        (&["--box", "1,2,3"][..], "give four numbers, X,Y,W,H"),
        (&["--box", "1,2,0,3"][..], "W, H positive"),
        (&["--face", "2"][..], "no face found"),
    ] {
        let o = segment_with(args, &photo, &dir.join("x"));
        assert!(!o.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(expect), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let o = segment_with(&["--face", "2"], &astronaut(), &dir.join("x"));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--face 2 asked for, but 1 face(s) were found")
    );
    // A wrong detector model is named, with what is wrong with it.
    let fake = dir.join("fake.tflite");
    std::fs::write(&fake, b"\x89PNG\r\n\x1a\n not a network").unwrap();
    let o = segment_with(
        &["--face-model", fake.to_str().unwrap()],
        &astronaut(),
        &dir.join("x"),
    );
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("fake.tflite: face detector model: not a TensorFlow Lite model"),
        "{err}"
    );
}

/// A panorama whose face fills the strip's height: found through the detector's
/// views along the strip and segmented framed (the whole strip is refused).
#[test]
fn segment_finds_the_face_in_a_panorama() {
    let dir = tmp("pano");
    let face = image::open(astronaut()).unwrap().to_rgb8();
    let head = image::imageops::crop_imm(&face, 106, 0, 300, 300).to_image();
    let mut strip = image::RgbImage::from_pixel(6000, 300, image::Rgb([200, 200, 205]));
    image::imageops::replace(&mut strip, &head, 3900, 0);
    let p = dir.join("pano.png");
    strip.save(&p).unwrap();
    let out = segment_ok(&[], &p, &dir.join("o"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("face 1 of 1"));
    let (img, n) = label_counts(&dir.join("o/pano.labels.png"));
    assert_eq!(img.dimensions(), (6000, 300));
    assert!(n[1] > 3000, "{n:?}");
    // Skin only where the face is.
    let stray = img
        .enumerate_pixels()
        .filter(|(x, _, p)| p.0[0] == 1 && !(3900..4200).contains(x))
        .count();
    assert_eq!(stray, 0);
}
