//! A small interpreter for float TensorFlow Lite graphs: exactly the operators the
//! BlazeFace detectors use (2-D and depthwise convolution, max pooling, channel
//! padding, addition, ReLU, reshape, concatenation, and float16 weights
//! dequantised once at load).
//!
//! Why not a general runtime: `tract-tflite` runs these files too, but on this
//! project's 2-core build machines it added about 13 minutes to every cold build
//! (native, the two wasm builds, the fuzz build) for a 229 KB network of nine
//! operator kinds; see docs/library-choices.md.
//!
//! Everything a file says is checked at load: the flatbuffer is read with bounds
//! checks (a foreign or truncated file is an error, never a panic), every tensor
//! shape is checked against what its operator produces, and an operator, type or
//! option outside the supported set is refused with its name. After that, running
//! the graph cannot fail: buffers are sized from the checked shapes.

use crate::error::FrameError;

/// Tensors larger than this (elements) are refused at load (BlazeFace's largest:
/// 98,304).
const MAX_TENSOR_ELEMENTS: usize = 1 << 22;
/// All tensors together (elements; BlazeFace's: about 1.5 million).
const MAX_TOTAL_ELEMENTS: usize = 1 << 24;
/// Work per run, in multiply-adds (BlazeFace short range: 31 million). A file whose
/// shapes ask for more is refused at load rather than running for minutes.
pub const MAX_MULTIPLY_ADDS: u64 = 300_000_000;

fn bad(msg: impl Into<String>) -> FrameError {
    FrameError::Model(msg.into())
}

// ---------------------------------------------------------------------------
// Flatbuffer reading, bounds-checked.

#[derive(Clone, Copy)]
struct Buf<'a>(&'a [u8]);

impl<'a> Buf<'a> {
    fn bytes(&self, at: usize, n: usize) -> Result<&'a [u8], FrameError> {
        at.checked_add(n)
            .and_then(|end| self.0.get(at..end))
            .ok_or_else(|| bad("the file is truncated or not a TensorFlow Lite model"))
    }
    fn u8(&self, at: usize) -> Result<u8, FrameError> {
        Ok(self.bytes(at, 1)?[0])
    }
    fn u16(&self, at: usize) -> Result<u16, FrameError> {
        let b = self.bytes(at, 2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&self, at: usize) -> Result<u32, FrameError> {
        let b = self.bytes(at, 4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn i32(&self, at: usize) -> Result<i32, FrameError> {
        Ok(self.u32(at)? as i32)
    }
    /// Follows a forward offset stored at `at`.
    fn deref(&self, at: usize) -> Result<usize, FrameError> {
        at.checked_add(self.u32(at)? as usize)
            .filter(|&p| p < self.0.len())
            .ok_or_else(|| bad("the file is truncated or not a TensorFlow Lite model"))
    }
}

/// A flatbuffer table.
#[derive(Clone, Copy)]
struct Table<'a> {
    buf: Buf<'a>,
    pos: usize,
    vtable: usize,
    vtable_len: usize,
}

impl<'a> Table<'a> {
    fn at(buf: Buf<'a>, pos: usize) -> Result<Table<'a>, FrameError> {
        let soff = buf.i32(pos)? as i64;
        let vtable = pos as i64 - soff;
        if vtable < 0 || vtable as usize >= buf.0.len() {
            return Err(bad("the file is truncated or not a TensorFlow Lite model"));
        }
        let vtable = vtable as usize;
        let vtable_len = buf.u16(vtable)? as usize;
        Ok(Table {
            buf,
            pos,
            vtable,
            vtable_len,
        })
    }
    /// Absolute position of field `i`, if present.
    fn field(&self, i: usize) -> Result<Option<usize>, FrameError> {
        let slot = 4 + 2 * i;
        if slot + 2 > self.vtable_len {
            return Ok(None);
        }
        let off = self.buf.u16(self.vtable + slot)? as usize;
        Ok((off != 0).then_some(self.pos + off))
    }
    fn u8_or(&self, i: usize, default: u8) -> Result<u8, FrameError> {
        self.field(i)?.map_or(Ok(default), |p| self.buf.u8(p))
    }
    fn i32_or(&self, i: usize, default: i32) -> Result<i32, FrameError> {
        self.field(i)?.map_or(Ok(default), |p| self.buf.i32(p))
    }
    fn table(&self, i: usize) -> Result<Option<Table<'a>>, FrameError> {
        match self.field(i)? {
            None => Ok(None),
            Some(p) => Ok(Some(Table::at(self.buf, self.buf.deref(p)?)?)),
        }
    }
    /// A vector field: (position of the first element, length).
    fn vector(&self, i: usize) -> Result<Option<(usize, usize)>, FrameError> {
        match self.field(i)? {
            None => Ok(None),
            Some(p) => {
                let v = self.buf.deref(p)?;
                Ok(Some((v + 4, self.buf.u32(v)? as usize)))
            }
        }
    }
    fn tables(&self, i: usize) -> Result<Vec<Table<'a>>, FrameError> {
        let Some((start, n)) = self.vector(i)? else {
            return Ok(Vec::new());
        };
        self.buf.bytes(start, n.saturating_mul(4))?;
        (0..n)
            .map(|k| Table::at(self.buf, self.buf.deref(start + 4 * k)?))
            .collect()
    }
    fn i32s(&self, i: usize) -> Result<Vec<i32>, FrameError> {
        let Some((start, n)) = self.vector(i)? else {
            return Ok(Vec::new());
        };
        let b = self.buf.bytes(start, n.saturating_mul(4))?;
        Ok(b.chunks_exact(4)
            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }
    fn bytes(&self, i: usize) -> Result<&'a [u8], FrameError> {
        match self.vector(i)? {
            None => Ok(&[]),
            Some((start, n)) => self.buf.bytes(start, n),
        }
    }
    fn string(&self, i: usize) -> Result<String, FrameError> {
        Ok(String::from_utf8_lossy(self.bytes(i)?).into_owned())
    }
}

// ---------------------------------------------------------------------------
// The schema subset (field numbers from tensorflow/lite/schema/schema.fbs).

const OP_ADD: i32 = 0;
const OP_CONCATENATION: i32 = 2;
const OP_CONV_2D: i32 = 3;
const OP_DEPTHWISE_CONV_2D: i32 = 4;
const OP_DEQUANTIZE: i32 = 6;
const OP_MAX_POOL_2D: i32 = 17;
const OP_RELU: i32 = 19;
const OP_RESHAPE: i32 = 22;
const OP_PAD: i32 = 34;

const TYPE_FLOAT32: u8 = 0;
const TYPE_FLOAT16: u8 = 1;
const TYPE_INT32: u8 = 2;

fn op_name(code: i32) -> String {
    match code {
        OP_ADD => "ADD".into(),
        OP_CONCATENATION => "CONCATENATION".into(),
        OP_CONV_2D => "CONV_2D".into(),
        OP_DEPTHWISE_CONV_2D => "DEPTHWISE_CONV_2D".into(),
        OP_DEQUANTIZE => "DEQUANTIZE".into(),
        OP_MAX_POOL_2D => "MAX_POOL_2D".into(),
        OP_RELU => "RELU".into(),
        OP_RESHAPE => "RESHAPE".into(),
        OP_PAD => "PAD".into(),
        c => format!("builtin operator {c}"),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Padding {
    Same,
    Valid,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Act {
    None,
    Relu,
}

#[derive(Clone, Debug)]
struct Window {
    kh: usize,
    kw: usize,
    sh: usize,
    sw: usize,
    padding: Padding,
}

impl Window {
    /// Output size and padding before, along one axis (TensorFlow's rule).
    fn axis(&self, input: usize, k: usize, s: usize) -> Result<(usize, usize), FrameError> {
        match self.padding {
            Padding::Same => {
                let out = input.div_ceil(s);
                let total = ((out - 1) * s + k).saturating_sub(input);
                Ok((out, total / 2))
            }
            Padding::Valid => {
                if input < k {
                    return Err(bad(format!("a {k}-wide window does not fit {input}")));
                }
                Ok(((input - k) / s + 1, 0))
            }
        }
    }
}

/// One operation, with tensor indices and everything resolved.
#[derive(Clone, Debug)]
enum Op {
    Conv {
        input: usize,
        output: usize,
        weights: Packed,
        win: Window,
        act: Act,
    },
    Depthwise {
        input: usize,
        output: usize,
        /// Weights as [kh][kw][channel].
        weights: Vec<f32>,
        bias: Vec<f32>,
        win: Window,
        act: Act,
    },
    MaxPool {
        input: usize,
        output: usize,
        win: Window,
        act: Act,
    },
    /// Zero padding of an NHWC tensor: before/after per axis.
    Pad {
        input: usize,
        output: usize,
        before: [usize; 4],
    },
    Add {
        a: usize,
        b: usize,
        output: usize,
        act: Act,
    },
    Relu {
        input: usize,
        output: usize,
    },
    /// Reshape (a copy; element order is unchanged).
    Copy {
        input: usize,
        output: usize,
    },
    Concat {
        inputs: Vec<usize>,
        output: usize,
        /// Product of the dimensions after the axis, per input and for the output.
        inner: Vec<usize>,
        outer: usize,
    },
}

/// A loaded graph: float input and outputs, all shapes fixed.
#[derive(Clone, Debug)]
pub struct Graph {
    shapes: Vec<Vec<usize>>,
    ops: Vec<Op>,
    input: usize,
    outputs: Vec<usize>,
    /// Per tensor, the last operation that reads it (`usize::MAX` for the graph's
    /// outputs): after that its buffer can be reused in place.
    last_use: Vec<usize>,
}

struct TensorDesc {
    shape: Vec<usize>,
    ty: u8,
    data: Option<Vec<u8>>,
    name: String,
}

fn act_of(code: u8, what: &str) -> Result<Act, FrameError> {
    match code {
        0 => Ok(Act::None),
        1 => Ok(Act::Relu),
        c => Err(bad(format!(
            "{what}: fused activation {c} is not supported (only none and ReLU)"
        ))),
    }
}

fn padding_of(code: u8) -> Result<Padding, FrameError> {
    match code {
        0 => Ok(Padding::Same),
        1 => Ok(Padding::Valid),
        c => Err(bad(format!("unknown padding {c}"))),
    }
}

fn positive(v: i32, what: &str) -> Result<usize, FrameError> {
    if (1..=64).contains(&v) {
        Ok(v as usize)
    } else {
        Err(bad(format!("{what} {v} is out of range")))
    }
}

impl Graph {
    /// Reads a TensorFlow Lite flatbuffer with one float input.
    pub fn from_bytes(bytes: &[u8]) -> Result<Graph, FrameError> {
        if bytes.len() < 8 || &bytes[4..8] != b"TFL3" {
            return Err(bad(
                "not a TensorFlow Lite model (the file identifier 'TFL3' is missing)",
            ));
        }
        let buf = Buf(bytes);
        let model = Table::at(buf, buf.deref(0)?)?;
        let codes: Vec<i32> = model
            .tables(1)?
            .iter()
            .map(|c| {
                let deprecated = c.u8_or(0, 0)? as i8 as i32;
                let code = c.i32_or(3, 0)?;
                Ok(code.max(deprecated))
            })
            .collect::<Result<_, FrameError>>()?;
        let subgraphs = model.tables(2)?;
        let [graph] = subgraphs.as_slice() else {
            return Err(bad(format!(
                "the model has {} subgraphs; one is supported",
                subgraphs.len()
            )));
        };
        let buffers = model.tables(4)?;
        let mut total = 0usize;
        let tensors: Vec<TensorDesc> = graph
            .tables(0)?
            .iter()
            .map(|t| {
                let name = t.string(3)?;
                let shape = t
                    .i32s(0)?
                    .iter()
                    .map(|&d| {
                        usize::try_from(d)
                            .ok()
                            .filter(|&d| d >= 1)
                            .ok_or_else(|| bad(format!("tensor '{name}' has dimension {d}")))
                    })
                    .collect::<Result<Vec<usize>, _>>()?;
                let n = shape
                    .iter()
                    .try_fold(1usize, |a, &d| a.checked_mul(d))
                    .filter(|&n| n <= MAX_TENSOR_ELEMENTS)
                    .ok_or_else(|| bad(format!("tensor '{name}' is too large")))?;
                total = total.saturating_add(n);
                let ty = t.u8_or(1, 0)?;
                let b = t.i32_or(2, 0)?;
                let data = match usize::try_from(b).ok().and_then(|b| buffers.get(b)) {
                    Some(buffer) if b > 0 => {
                        let d = buffer.bytes(0)?;
                        (!d.is_empty()).then(|| d.to_vec())
                    }
                    _ => None,
                };
                Ok(TensorDesc {
                    shape,
                    ty,
                    data,
                    name,
                })
            })
            .collect::<Result<_, FrameError>>()?;
        if total > MAX_TOTAL_ELEMENTS {
            return Err(bad("the model's tensors are too large"));
        }
        let index = |i: i32| -> Result<usize, FrameError> {
            usize::try_from(i)
                .ok()
                .filter(|&i| i < tensors.len())
                .ok_or_else(|| bad(format!("tensor index {i} is out of range")))
        };
        let inputs = graph.i32s(1)?;
        let [input] = inputs.as_slice() else {
            return Err(bad(format!(
                "the model has {} inputs; one is supported",
                inputs.len()
            )));
        };
        let input = index(*input)?;
        let outputs = graph
            .i32s(2)?
            .iter()
            .map(|&i| index(i))
            .collect::<Result<Vec<_>, _>>()?;
        if outputs.is_empty() {
            return Err(bad("the model has no outputs"));
        }

        // Float values of constant tensors (float16 weights dequantised once).
        let mut consts: Vec<Option<Vec<f32>>> = tensors
            .iter()
            .map(|t| {
                let d = t.data.as_ref()?;
                let n: usize = t.shape.iter().product();
                match t.ty {
                    TYPE_FLOAT32 if d.len() == 4 * n => Some(
                        d.chunks_exact(4)
                            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                            .collect(),
                    ),
                    TYPE_FLOAT16 if d.len() == 2 * n => Some(
                        d.chunks_exact(2)
                            .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
                            .collect(),
                    ),
                    TYPE_INT32 if d.len() == 4 * n => Some(
                        d.chunks_exact(4)
                            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f32)
                            .collect(),
                    ),
                    _ => None,
                }
            })
            .collect();
        for (t, c) in tensors.iter().zip(&consts) {
            if t.data.is_some() && c.is_none() {
                return Err(bad(format!(
                    "constant tensor '{}' has type {} or the wrong byte length",
                    t.name, t.ty
                )));
            }
        }
        // Runtime tensors must be float32.
        let mut produced = vec![false; tensors.len()];
        produced[input] = true;
        if tensors[input].ty != TYPE_FLOAT32 || consts[input].is_some() {
            return Err(bad("the model's input is not a float32 tensor"));
        }

        let mut ops = Vec::new();
        for (k, op) in graph.tables(3)?.iter().enumerate() {
            let code_index = op.i32_or(0, 0)?;
            let code = usize::try_from(code_index)
                .ok()
                .and_then(|i| codes.get(i))
                .copied()
                .ok_or_else(|| bad(format!("operator {k}: opcode index {code_index}")))?;
            let name = op_name(code);
            let ins = op
                .i32s(1)?
                .into_iter()
                .filter(|&i| i >= 0)
                .map(index)
                .collect::<Result<Vec<_>, _>>()?;
            let outs = op
                .i32s(2)?
                .into_iter()
                .map(index)
                .collect::<Result<Vec<_>, _>>()?;
            let what = format!("operator {k} ({name})");
            let [output] = outs.as_slice() else {
                return Err(bad(format!("{what}: {} outputs", outs.len())));
            };
            let output = *output;
            if produced[output] || consts[output].is_some() {
                return Err(bad(format!("{what}: its output is written twice")));
            }
            let opts = op.table(4)?;
            let opt_u8 = |i: usize, d: u8| opts.map_or(Ok(d), |t| t.u8_or(i, d));
            let opt_i32 = |i: usize, d: i32| opts.map_or(Ok(d), |t| t.i32_or(i, d));
            let shape = |i: usize| tensors[i].shape.clone();
            // Runtime inputs must already be computed; constants are looked up.
            let need = |i: usize| -> Result<usize, FrameError> {
                if produced[i] {
                    Ok(i)
                } else {
                    Err(bad(format!(
                        "{what}: input '{}' is not computed before it",
                        tensors[i].name
                    )))
                }
            };
            let constant = |i: usize| -> Result<&Vec<f32>, FrameError> {
                consts[i]
                    .as_ref()
                    .ok_or_else(|| bad(format!("{what}: '{}' must be a constant", tensors[i].name)))
            };
            let nhwc = |i: usize| -> Result<[usize; 4], FrameError> {
                match tensors[i].shape.as_slice() {
                    &[1, h, w, c] => Ok([1, h, w, c]),
                    s => Err(bad(format!(
                        "{what}: '{}' has shape {s:?}, not [1, h, w, c]",
                        tensors[i].name
                    ))),
                }
            };
            let expect = |want: &[usize]| -> Result<(), FrameError> {
                if tensors[output].shape == want {
                    Ok(())
                } else {
                    Err(bad(format!(
                        "{what}: output '{}' has shape {:?}, expected {want:?}",
                        tensors[output].name, tensors[output].shape
                    )))
                }
            };
            let arity = |n: usize| -> Result<(), FrameError> {
                if ins.len() == n {
                    Ok(())
                } else {
                    Err(bad(format!("{what}: {} inputs, expected {n}", ins.len())))
                }
            };
            if tensors[output].ty != TYPE_FLOAT32 {
                return Err(bad(format!("{what}: the output is not float32")));
            }
            let made = match code {
                OP_DEQUANTIZE => {
                    arity(1)?;
                    let v = constant(ins[0])?.clone();
                    if shape(ins[0]) != shape(output) {
                        return Err(bad(format!("{what}: shape changes")));
                    }
                    consts[output] = Some(v);
                    None
                }
                OP_CONV_2D | OP_DEPTHWISE_CONV_2D => {
                    arity(3)?;
                    let x = nhwc(need(ins[0])?)?;
                    let w = constant(ins[1])?;
                    let bias = constant(ins[2])?.clone();
                    let ws = shape(ins[1]);
                    let [a, kh, kw, b] = ws.as_slice() else {
                        return Err(bad(format!("{what}: weights of shape {ws:?}")));
                    };
                    let (a, kh, kw, b) = (*a, *kh, *kw, *b);
                    let padding = padding_of(opt_u8(0, 0)?)?;
                    let sw = positive(opt_i32(1, 1)?, "stride")?;
                    let sh = positive(opt_i32(2, 1)?, "stride")?;
                    let depthwise = code == OP_DEPTHWISE_CONV_2D;
                    let (act_slot, dil_w, dil_h) = if depthwise { (4, 5, 6) } else { (3, 4, 5) };
                    let act = act_of(opt_u8(act_slot, 0)?, &what)?;
                    if opt_i32(dil_w, 1)? != 1 || opt_i32(dil_h, 1)? != 1 {
                        return Err(bad(format!("{what}: dilation is not supported")));
                    }
                    let win = Window {
                        kh,
                        kw,
                        sh,
                        sw,
                        padding,
                    };
                    let (oh, _) = win.axis(x[1], kh, sh)?;
                    let (ow, _) = win.axis(x[2], kw, sw)?;
                    if depthwise {
                        if a != 1 || b != x[3] || opt_i32(3, 1)? != 1 {
                            return Err(bad(format!(
                                "{what}: weights {ws:?} on {} channels (only depth multiplier 1)",
                                x[3]
                            )));
                        }
                        if bias.len() != b {
                            return Err(bad(format!("{what}: {} biases", bias.len())));
                        }
                        expect(&[1, oh, ow, b])?;
                        Some(Op::Depthwise {
                            input: ins[0],
                            output,
                            weights: w.clone(),
                            bias,
                            win,
                            act,
                        })
                    } else {
                        if b != x[3] {
                            return Err(bad(format!(
                                "{what}: weights {ws:?} on {} channels",
                                x[3]
                            )));
                        }
                        if bias.len() != a {
                            return Err(bad(format!("{what}: {} biases", bias.len())));
                        }
                        expect(&[1, oh, ow, a])?;
                        Some(Op::Conv {
                            input: ins[0],
                            output,
                            weights: Packed::new(w, &bias, a, kh * kw * b),
                            win,
                            act,
                        })
                    }
                }
                OP_MAX_POOL_2D => {
                    arity(1)?;
                    let x = nhwc(need(ins[0])?)?;
                    let win = Window {
                        padding: padding_of(opt_u8(0, 0)?)?,
                        sw: positive(opt_i32(1, 1)?, "stride")?,
                        sh: positive(opt_i32(2, 1)?, "stride")?,
                        kw: positive(opt_i32(3, 1)?, "filter width")?,
                        kh: positive(opt_i32(4, 1)?, "filter height")?,
                    };
                    let act = act_of(opt_u8(5, 0)?, &what)?;
                    let (oh, _) = win.axis(x[1], win.kh, win.sh)?;
                    let (ow, _) = win.axis(x[2], win.kw, win.sw)?;
                    expect(&[1, oh, ow, x[3]])?;
                    Some(Op::MaxPool {
                        input: ins[0],
                        output,
                        win,
                        act,
                    })
                }
                OP_PAD => {
                    arity(2)?;
                    let x = nhwc(need(ins[0])?)?;
                    let p = constant(ins[1])?;
                    if p.len() != 8 {
                        return Err(bad(format!("{what}: paddings of {} values", p.len())));
                    }
                    let mut before = [0usize; 4];
                    let mut want = [0usize; 4];
                    for d in 0..4 {
                        let (b, a) = (p[2 * d], p[2 * d + 1]);
                        if !(0.0..=4096.0).contains(&b) || !(0.0..=4096.0).contains(&a) {
                            return Err(bad(format!("{what}: padding {b}, {a}")));
                        }
                        before[d] = b as usize;
                        want[d] = x[d] + b as usize + a as usize;
                    }
                    if want[0] != 1 {
                        return Err(bad(format!("{what}: pads the batch")));
                    }
                    expect(&want)?;
                    Some(Op::Pad {
                        input: ins[0],
                        output,
                        before,
                    })
                }
                OP_ADD => {
                    arity(2)?;
                    let (a, b) = (need(ins[0])?, need(ins[1])?);
                    if shape(a) != shape(b) {
                        return Err(bad(format!("{what}: broadcasting is not supported")));
                    }
                    expect(&shape(a))?;
                    Some(Op::Add {
                        a,
                        b,
                        output,
                        act: act_of(opt_u8(0, 0)?, &what)?,
                    })
                }
                OP_RELU => {
                    arity(1)?;
                    let i = need(ins[0])?;
                    expect(&shape(i))?;
                    Some(Op::Relu { input: i, output })
                }
                OP_RESHAPE => {
                    if ins.is_empty() {
                        return Err(bad(format!("{what}: no input")));
                    }
                    let i = need(ins[0])?;
                    let n: usize = tensors[i].shape.iter().product();
                    let m: usize = tensors[output].shape.iter().product();
                    if n != m {
                        return Err(bad(format!("{what}: {n} elements become {m}")));
                    }
                    Some(Op::Copy { input: i, output })
                }
                OP_CONCATENATION => {
                    if ins.is_empty() {
                        return Err(bad(format!("{what}: no inputs")));
                    }
                    act_of(opt_u8(1, 0)?, &what)?;
                    let out_shape = shape(output);
                    let rank = out_shape.len() as i32;
                    let axis = opt_i32(0, 0)?;
                    let axis = if axis < 0 { axis + rank } else { axis };
                    if !(0..rank).contains(&axis) {
                        return Err(bad(format!("{what}: axis {axis}")));
                    }
                    let axis = axis as usize;
                    let mut inner = Vec::new();
                    let mut along = 0;
                    for &i in &ins {
                        need(i)?;
                        let s = shape(i);
                        if s.len() != out_shape.len()
                            || (0..s.len()).any(|d| d != axis && s[d] != out_shape[d])
                        {
                            return Err(bad(format!("{what}: input shape {s:?}")));
                        }
                        along += s[axis];
                        inner.push(s[axis..].iter().product());
                    }
                    if along != out_shape[axis] {
                        return Err(bad(format!("{what}: the pieces do not add up")));
                    }
                    inner.push(out_shape[axis..].iter().product());
                    Some(Op::Concat {
                        inputs: ins.clone(),
                        output,
                        inner,
                        outer: out_shape[..axis].iter().product(),
                    })
                }
                _ => return Err(bad(format!("{what} is not supported"))),
            };
            if let Some(op) = made {
                produced[output] = true;
                ops.push(op);
            }
        }
        for &o in &outputs {
            if !produced[o] {
                return Err(bad(format!(
                    "output '{}' is never computed",
                    tensors[o].name
                )));
            }
        }
        let work: u64 = ops
            .iter()
            .map(|op| match op {
                Op::Conv {
                    output, weights, ..
                } => tensors[*output].shape.iter().product::<usize>() as u64 * weights.k as u64,
                Op::Depthwise { output, win, .. } | Op::MaxPool { output, win, .. } => {
                    tensors[*output].shape.iter().product::<usize>() as u64
                        * (win.kh * win.kw) as u64
                }
                Op::Add { output, .. }
                | Op::Relu { output, .. }
                | Op::Copy { output, .. }
                | Op::Pad { output, .. }
                | Op::Concat { output, .. } => {
                    tensors[*output].shape.iter().product::<usize>() as u64
                }
            })
            .sum();
        if work > MAX_MULTIPLY_ADDS {
            return Err(bad(format!(
                "the network needs {} million multiply-adds per image; at most {} million are accepted (BlazeFace short range needs 31)",
                work / 1_000_000,
                MAX_MULTIPLY_ADDS / 1_000_000
            )));
        }
        let mut last_use = vec![0usize; tensors.len()];
        for (k, op) in ops.iter().enumerate() {
            for i in op.reads() {
                last_use[i] = k;
            }
        }
        for &o in &outputs {
            last_use[o] = usize::MAX;
        }
        Ok(Graph {
            shapes: tensors.into_iter().map(|t| t.shape).collect(),
            ops,
            input,
            outputs,
            last_use,
        })
    }

    /// The input's shape (e.g. [1, 128, 128, 3]).
    pub fn input_shape(&self) -> &[usize] {
        &self.shapes[self.input]
    }

    /// The outputs' shapes, in the model's order.
    pub fn output_shapes(&self) -> Vec<&[usize]> {
        self.outputs
            .iter()
            .map(|&o| self.shapes[o].as_slice())
            .collect()
    }

    /// Runs the graph on `input` (NHWC floats, `input_shape` elements).
    pub fn run(&self, input: &[f32]) -> Result<Vec<Vec<f32>>, FrameError> {
        let n: usize = self.input_shape().iter().product();
        if input.len() != n {
            return Err(FrameError::InvalidImage(format!(
                "the detector input holds {} values, not {n}",
                input.len()
            )));
        }
        let mut vals: Vec<Vec<f32>> = vec![Vec::new(); self.shapes.len()];
        vals[self.input] = input.to_vec();
        for (k, op) in self.ops.iter().enumerate() {
            let (output, v) = self.apply(k, op, &mut vals);
            vals[output] = v;
        }
        Ok(self
            .outputs
            .iter()
            .map(|&o| std::mem::take(&mut vals[o]))
            .collect())
    }

    /// Tensor `t`'s values to change in place: its own buffer when operation `k` is
    /// the last to read it, else a copy.
    fn reusable(&self, k: usize, t: usize, vals: &mut [Vec<f32>]) -> Vec<f32> {
        if self.last_use[t] == k {
            std::mem::take(&mut vals[t])
        } else {
            vals[t].clone()
        }
    }

    fn apply(&self, k: usize, op: &Op, vals: &mut [Vec<f32>]) -> (usize, Vec<f32>) {
        let dims = |t: usize| -> [usize; 4] {
            let s = &self.shapes[t];
            [s[0], s[1], s[2], s[3]]
        };
        match op {
            Op::Conv {
                input,
                output,
                weights,
                win,
                act,
            } => {
                let out = conv(
                    &vals[*input],
                    dims(*input),
                    dims(*output),
                    weights,
                    win,
                    *act,
                );
                (*output, out)
            }
            Op::Depthwise {
                input,
                output,
                weights,
                bias,
                win,
                act,
            } => {
                let out = depthwise(
                    &vals[*input],
                    dims(*input),
                    dims(*output),
                    weights,
                    bias,
                    win,
                    *act,
                );
                (*output, out)
            }
            Op::MaxPool {
                input,
                output,
                win,
                act,
            } => {
                let out = max_pool(&vals[*input], dims(*input), dims(*output), win, *act);
                (*output, out)
            }
            Op::Pad {
                input,
                output,
                before,
            } => {
                let [_, h, w, c] = dims(*input);
                let [_, oh, ow, oc] = dims(*output);
                let x = &vals[*input];
                let mut out = vec![0f32; oh * ow * oc];
                for y in 0..h {
                    for xx in 0..w {
                        let src = &x[(y * w + xx) * c..][..c];
                        let at = ((y + before[1]) * ow + xx + before[2]) * oc + before[3];
                        out[at..at + c].copy_from_slice(src);
                    }
                }
                (*output, out)
            }
            Op::Add { a, b, output, act } => {
                // In place on whichever addend is not read again.
                let (keep, other) = if self.last_use[*a] == k {
                    (*a, *b)
                } else {
                    (*b, *a)
                };
                let mut out = self.reusable(k, keep, vals);
                for (p, q) in out.iter_mut().zip(&vals[other]) {
                    *p += q;
                }
                if *act == Act::Relu {
                    relu(&mut out);
                }
                (*output, out)
            }
            Op::Relu { input, output } => {
                let mut out = self.reusable(k, *input, vals);
                relu(&mut out);
                (*output, out)
            }
            Op::Copy { input, output } => (*output, self.reusable(k, *input, vals)),
            Op::Concat {
                inputs,
                output,
                inner,
                outer,
            } => {
                let mut out = Vec::with_capacity(outer * inner[inputs.len()]);
                for o in 0..*outer {
                    for (k, &i) in inputs.iter().enumerate() {
                        out.extend_from_slice(&vals[i][o * inner[k]..(o + 1) * inner[k]]);
                    }
                }
                (*output, out)
            }
        }
    }
}

impl Op {
    /// The tensors the operation reads.
    fn reads(&self) -> Vec<usize> {
        match self {
            Op::Conv { input, .. }
            | Op::Depthwise { input, .. }
            | Op::MaxPool { input, .. }
            | Op::Pad { input, .. }
            | Op::Relu { input, .. }
            | Op::Copy { input, .. } => vec![*input],
            Op::Add { a, b, .. } => vec![*a, *b],
            Op::Concat { inputs, .. } => inputs.clone(),
        }
    }
}

/// Convolution weights packed for [`gemm`]'s 4-pixel × 8-channel kernel: per block
/// of 8 output channels, `k` rows of 8 weights (zero past the last channel), the
/// rows in patch order (kernel row, kernel column, input channel).
#[derive(Clone, Debug)]
struct Packed {
    blocks: Vec<f32>,
    /// Per output channel, padded to whole blocks.
    bias: Vec<f32>,
    k: usize,
    out: usize,
}

impl Packed {
    /// From TFLite's [out][kh][kw][in] weights (`k` = kh·kw·in per output).
    fn new(w: &[f32], bias: &[f32], out: usize, k: usize) -> Packed {
        let nb = out.div_ceil(LANES);
        let mut blocks = vec![0f32; nb * k * LANES];
        let mut b = vec![0f32; nb * LANES];
        for o in 0..out {
            let (blk, lane) = (o / LANES, o % LANES);
            for kk in 0..k {
                blocks[(blk * k + kk) * LANES + lane] = w[o * k + kk];
            }
            b[o] = bias[o];
        }
        Packed {
            blocks,
            bias: b,
            k,
            out,
        }
    }
}

/// Output channels per kernel block, and pixels per kernel call.
const LANES: usize = 8;
const ROWS: usize = 4;

/// `out[p][o] = bias[o] + Σ_k x[p][k] · w[k][o]` for `p` pixels (rows of `x`, each
/// `w.k` long), ReLU after if asked. Four pixels share every weight load and the
/// 4×8 sums stay in registers (the compiler vectorises the fixed-size loops).
#[allow(clippy::needless_range_loop)]
fn gemm(x: &[f32], pixels: usize, w: &Packed, act: Act) -> Vec<f32> {
    let (k, oc) = (w.k, w.out);
    let mut out = vec![0f32; pixels * oc];
    for p0 in (0..pixels).step_by(ROWS) {
        let n = (pixels - p0).min(ROWS);
        // A short last group repeats its last pixel (computed, not written).
        let row = |r: usize| &x[(p0 + r.min(n - 1)) * k..][..k];
        let (r0, r1, r2, r3) = (row(0), row(1), row(2), row(3));
        for (blk, wb) in w.blocks.chunks_exact(k * LANES).enumerate() {
            let bias: [f32; LANES] = w.bias[blk * LANES..][..LANES].try_into().unwrap();
            let mut acc = [bias; ROWS];
            // Plain indexed loops: with zipped iterators LLVM kept the sums in
            // memory (6x slower when k is only known at run time).
            for kk in 0..k {
                let wv: [f32; LANES] = wb[kk * LANES..kk * LANES + LANES].try_into().unwrap();
                let xs = [r0[kk], r1[kk], r2[kk], r3[kk]];
                for r in 0..ROWS {
                    for l in 0..LANES {
                        acc[r][l] += xs[r] * wv[l];
                    }
                }
            }
            let lanes = (oc - blk * LANES).min(LANES);
            for (r, accr) in acc.iter().enumerate().take(n) {
                let dst = &mut out[(p0 + r) * oc + blk * LANES..][..lanes];
                for (d, &v) in dst.iter_mut().zip(accr) {
                    *d = if act == Act::Relu { v.max(0.0) } else { v };
                }
            }
        }
    }
    out
}

fn relu(v: &mut [f32]) {
    for x in v {
        *x = x.max(0.0);
    }
}

/// Input rows/columns covered by output index `o` of a window: the range of
/// kernel taps `k0..k1` that fall inside the input, and the first input index.
fn taps(o: usize, stride: usize, pad: usize, k: usize, input: usize) -> (usize, usize, isize) {
    let start = (o * stride) as isize - pad as isize;
    let k0 = (-start).max(0) as usize;
    let k1 = ((input as isize - start).clamp(0, k as isize)) as usize;
    (k0, k1.max(k0), start)
}

fn conv(
    x: &[f32],
    [_, h, w, c]: [usize; 4],
    [_, oh, ow, _]: [usize; 4],
    weights: &Packed,
    win: &Window,
    act: Act,
) -> Vec<f32> {
    if win.kh == 1 && win.kw == 1 && win.sh == 1 && win.sw == 1 {
        return gemm(x, h * w, weights, act);
    }
    let (_, pad_y) = win.axis(h, win.kh, win.sh).unwrap_or((0, 0));
    let (_, pad_x) = win.axis(w, win.kw, win.sw).unwrap_or((0, 0));
    // Patches (im2col): per output pixel, the window's pixels in order, zero outside.
    let k = win.kh * win.kw * c;
    let mut patches = vec![0f32; oh * ow * k];
    for oy in 0..oh {
        let (ky0, ky1, sy) = taps(oy, win.sh, pad_y, win.kh, h);
        for ox in 0..ow {
            let (kx0, kx1, sx) = taps(ox, win.sw, pad_x, win.kw, w);
            let patch = &mut patches[(oy * ow + ox) * k..][..k];
            for ky in ky0..ky1 {
                let iy = (sy + ky as isize) as usize;
                for kx in kx0..kx1 {
                    let ix = (sx + kx as isize) as usize;
                    patch[(ky * win.kw + kx) * c..][..c]
                        .copy_from_slice(&x[(iy * w + ix) * c..][..c]);
                }
            }
        }
    }
    gemm(&patches, oh * ow, weights, act)
}

fn depthwise(
    x: &[f32],
    [_, h, w, c]: [usize; 4],
    [_, oh, ow, _]: [usize; 4],
    weights: &[f32],
    bias: &[f32],
    win: &Window,
    act: Act,
) -> Vec<f32> {
    let (_, pad_y) = win.axis(h, win.kh, win.sh).unwrap_or((0, 0));
    let (_, pad_x) = win.axis(w, win.kw, win.sw).unwrap_or((0, 0));
    let mut out = vec![0f32; oh * ow * c];
    for oy in 0..oh {
        let (ky0, ky1, sy) = taps(oy, win.sh, pad_y, win.kh, h);
        for ox in 0..ow {
            let (kx0, kx1, sx) = taps(ox, win.sw, pad_x, win.kw, w);
            let acc = &mut out[(oy * ow + ox) * c..][..c];
            acc.copy_from_slice(bias);
            for ky in ky0..ky1 {
                let iy = (sy + ky as isize) as usize;
                for kx in kx0..kx1 {
                    let ix = (sx + kx as isize) as usize;
                    let px = &x[(iy * w + ix) * c..][..c];
                    let wk = &weights[(ky * win.kw + kx) * c..][..c];
                    for ((a, &v), &wv) in acc.iter_mut().zip(px).zip(wk) {
                        *a += v * wv;
                    }
                }
            }
            if act == Act::Relu {
                relu(acc);
            }
        }
    }
    out
}

fn max_pool(
    x: &[f32],
    [_, h, w, c]: [usize; 4],
    [_, oh, ow, _]: [usize; 4],
    win: &Window,
    act: Act,
) -> Vec<f32> {
    let (_, pad_y) = win.axis(h, win.kh, win.sh).unwrap_or((0, 0));
    let (_, pad_x) = win.axis(w, win.kw, win.sw).unwrap_or((0, 0));
    let mut out = vec![f32::NEG_INFINITY; oh * ow * c];
    for oy in 0..oh {
        let (ky0, ky1, sy) = taps(oy, win.sh, pad_y, win.kh, h);
        for ox in 0..ow {
            let (kx0, kx1, sx) = taps(ox, win.sw, pad_x, win.kw, w);
            let acc = &mut out[(oy * ow + ox) * c..][..c];
            for ky in ky0..ky1 {
                let iy = (sy + ky as isize) as usize;
                for kx in kx0..kx1 {
                    let ix = (sx + kx as isize) as usize;
                    for (a, &v) in acc.iter_mut().zip(&x[(iy * w + ix) * c..][..c]) {
                        *a = a.max(v);
                    }
                }
            }
            if act == Act::Relu {
                relu(acc);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_padding_follows_tensorflow() {
        let win = Window {
            kh: 3,
            kw: 3,
            sh: 2,
            sw: 2,
            padding: Padding::Same,
        };
        // 64 -> 32, one pixel of padding after (none before).
        assert_eq!(win.axis(64, 3, 2).unwrap(), (32, 0));
        // 5x5 stride 2 on 128: 64 out, 3 padded: 1 before, 2 after.
        assert_eq!(win.axis(128, 5, 2).unwrap(), (64, 1));
        assert_eq!(win.axis(64, 3, 1).unwrap(), (64, 1));
        let valid = Window {
            padding: Padding::Valid,
            ..win
        };
        assert_eq!(valid.axis(7, 3, 2).unwrap(), (3, 0));
        assert!(valid.axis(2, 3, 2).is_err());
    }

    #[test]
    fn taps_stay_inside() {
        // first output of a SAME 3x3 window with one pixel of padding before
        assert_eq!(taps(0, 1, 1, 3, 10), (1, 3, -1));
        // last output of a stride-2 window on 64 (one padded after)
        assert_eq!(taps(31, 2, 0, 3, 64), (0, 2, 62));
    }

    /// A direct convolution written the plain way (zero padding), as the oracle
    /// for the transposed-weight kernel.
    #[test]
    fn conv_matches_a_direct_convolution() {
        // 11 output channels: a whole block of 8 and a part; 42 and 12 pixels: a
        // short last group of 4 for stride 1.
        let (h, w, c, oc, k) = (7usize, 6usize, 3usize, 11usize, 3usize);
        let x: Vec<f32> = (0..h * w * c)
            .map(|i| ((i * 37 % 11) as f32) - 5.0)
            .collect();
        let wt: Vec<f32> = (0..oc * k * k * c)
            .map(|i| ((i * 13 % 7) as f32) * 0.25 - 0.7)
            .collect();
        let bias: Vec<f32> = (0..oc).map(|o| o as f32 * 0.5 - 1.0).collect();
        for (stride, padding) in [(1, Padding::Same), (2, Padding::Same), (2, Padding::Valid)] {
            let win = Window {
                kh: k,
                kw: k,
                sh: stride,
                sw: stride,
                padding,
            };
            let (oh, py) = win.axis(h, k, stride).unwrap();
            let (ow, px) = win.axis(w, k, stride).unwrap();
            let packed = Packed::new(&wt, &bias, oc, k * k * c);
            let got = conv(&x, [1, h, w, c], [1, oh, ow, oc], &packed, &win, Act::None);
            for oy in 0..oh {
                for ox in 0..ow {
                    for o in 0..oc {
                        let mut s = bias[o];
                        for ky in 0..k {
                            for kx in 0..k {
                                let iy = (oy * stride + ky) as isize - py as isize;
                                let ix = (ox * stride + kx) as isize - px as isize;
                                if iy < 0 || ix < 0 || iy >= h as isize || ix >= w as isize {
                                    continue;
                                }
                                for i in 0..c {
                                    s += x[((iy as usize) * w + ix as usize) * c + i]
                                        * wt[((o * k + ky) * k + kx) * c + i];
                                }
                            }
                        }
                        let g = got[(oy * ow + ox) * oc + o];
                        assert!(
                            (g - s).abs() < 1e-4,
                            "{stride} {padding:?} {oy} {ox} {o}: {g} vs {s}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn foreign_and_truncated_files_are_errors() {
        assert!(Graph::from_bytes(&[]).is_err());
        assert!(Graph::from_bytes(b"not a model at all").is_err());
        let mut fake = vec![0u8; 64];
        fake[4..8].copy_from_slice(b"TFL3");
        fake[0] = 200; // root offset past the end
        assert!(Graph::from_bytes(&fake).is_err());
        fake[0] = 8; // root table at 8 whose vtable offset points nowhere
        fake[8..12].copy_from_slice(&(-1000i32).to_le_bytes());
        assert!(Graph::from_bytes(&fake).is_err());
    }
}
