#!/usr/bin/env python3
"""Writes the reference outputs the BlazeFace interpreter test compares against:
Google's own TensorFlow Lite runtime (PyPI ai-edge-litert) run on the short-range
model with the demo's sample portrait as input, sampled nearest-neighbour to
128x128 (pixel centre (i + 0.5) * side / 128, rounded down) and scaled to [-1, 1].

    python3 -m venv /tmp/oracle && /tmp/oracle/bin/pip install ai-edge-litert pillow numpy
    /tmp/oracle/bin/python scripts/blazeface-oracle.py

Output: crates/faceforest-frame/tests/data/blazeface-astronaut.f32, little-endian
float32: the 896x16 regressors, then the 896 score logits.
"""
import pathlib
import numpy as np
from PIL import Image
from ai_edge_litert.interpreter import Interpreter

root = pathlib.Path(__file__).resolve().parent.parent
img = np.asarray(Image.open(root / "web/demo/assets/astronaut.png").convert("RGB"))
h, w, _ = img.shape
ys = [int((i + 0.5) * h / 128) for i in range(128)]
xs = [int((i + 0.5) * w / 128) for i in range(128)]
x = img[ys][:, xs].astype(np.float32) / 127.5 - 1.0

it = Interpreter(model_path=str(root / "web/models/face_detection_short_range.tflite"))
it.allocate_tensors()
it.set_tensor(it.get_input_details()[0]["index"], x[None])
it.invoke()
out = {d["name"]: it.get_tensor(d["index"]) for d in it.get_output_details()}
reg, cls = out["regressors"].reshape(-1), out["classificators"].reshape(-1)
dest = root / "crates/faceforest-frame/tests/data/blazeface-astronaut.f32"
np.concatenate([reg, cls]).astype("<f4").tofile(dest)
print(f"{dest}: best logit {cls.max():.3f} at anchor {cls.argmax()}")
