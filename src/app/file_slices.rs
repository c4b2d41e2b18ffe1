//! The user's file as the worker reads it: a few MiB at a time, so memory grows with customers,
//! not with the file's bytes, and a file past wasm32's 4 GB address space streams like any other.
//!
//! Two ways in. Between records the core's reader lets the file read ahead
//! ([`ReadAhead`]): a byte-stream ("BYOB") reader refills one reused buffer asynchronously.
//! Whatever the parser needs before that (the header, a workbook, a rewind) comes from a
//! synchronous `FileReaderSync` read, which allocates a new buffer each time: garbage that the
//! worker collects only when it yields, which a synchronous read loop never does (a 6 GB file
//! read that way peaked at 2.7 GB of renderer memory, 0.55 GB read ahead).

use std::cell::RefCell;
use std::future::Future;
use std::io::{self, Read, Seek, SeekFrom};
use std::pin::Pin;
use std::rc::Rc;

use js_sys::{ArrayBuffer, Function, Object, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, FileReaderSync};

use super::worker_client::describe_js_error;
use crate::core::ingest::{ReadAhead, SNIFF_BYTES};

/// The largest workbook the worker opens. The core reads an XLSX workbook whole (a zip needs
/// random access) and parses it in memory at several times its size; a sheet holds at most
/// 1,048,576 rows anyway, which fits well below this.
const MAX_WORKBOOK_BYTES: f64 = 200e6;

/// How an XLSX workbook (a zip archive) starts; the core's ingest tells formats apart the same way.
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";

/// A synchronous read's size: large enough that the per-read cost vanishes, small enough that
/// the worker never holds much of the file.
const SLICE_BYTES: f64 = 8.0 * 1024.0 * 1024.0;

/// Reading ahead fills the buffer to this many unread bytes...
const READ_AHEAD_BYTES: usize = 8 << 20;
/// ...once fewer than this are left: more than one record can take (the core refuses records
/// over 1 MiB) with the parser's and the decompressor's buffers, so the next record rarely
/// falls back to a synchronous read.
const LOW_WATER_BYTES: usize = 2 << 20;

/// A handle on the file; clones share its buffer (the parser reads through one, the reader's
/// loop reads ahead through another).
#[derive(Clone)]
pub struct FileSlices(Rc<RefCell<Slices>>);

struct Slices {
    file: Blob,
    reader: FileReaderSync,
    size: f64,
    /// Where the bytes after `buffer` start in the file.
    offset: f64,
    buffer: Vec<u8>,
    /// Bytes of `buffer` already handed out.
    consumed: usize,
    workbook: bool,
    /// A byte-stream reader, the file position it reads next, and the buffer it reuses.
    stream: Option<Stream>,
}

struct Stream {
    reader: Object,
    at: f64,
    view: Uint8Array,
}

impl FileSlices {
    /// Reads the first [`SNIFF_BYTES`] (all a header preview needs) and refuses a workbook too
    /// large to open before reading any more of it.
    pub fn open(file: &Blob) -> Result<Self, String> {
        let mut slices = Slices {
            file: file.clone(),
            reader: FileReaderSync::new().map_err(describe_js_error)?,
            size: file.size(),
            offset: 0.0,
            buffer: Vec::new(),
            consumed: 0,
            workbook: false,
            stream: None,
        };
        slices.read_slice(SNIFF_BYTES as f64)?;
        slices.workbook = slices.buffer.starts_with(ZIP_MAGIC);
        if slices.workbook && slices.size > MAX_WORKBOOK_BYTES {
            return Err(format!(
                "This workbook is {:.0} MB. A workbook is read whole, so the studio opens \
                 workbooks up to {:.0} MB: save the sheet as CSV (read as a stream, any size) \
                 or use the command-line twin.",
                slices.size / 1e6,
                MAX_WORKBOOK_BYTES / 1e6
            ));
        }
        Ok(FileSlices(Rc::new(RefCell::new(slices))))
    }

    pub fn size(&self) -> u64 {
        self.0.borrow().size as u64
    }

    pub fn is_workbook(&self) -> bool {
        self.0.borrow().workbook
    }

    /// Fills the buffer from the byte stream up to [`READ_AHEAD_BYTES`] unread bytes.
    async fn fill(&self) -> Result<(), String> {
        let (reader, mut view) = {
            let mut slices = self.0.borrow_mut();
            let consumed = slices.consumed;
            slices.buffer.drain(..consumed);
            slices.consumed = 0;
            let stream = slices.stream_at_offset()?;
            (stream.reader.clone(), stream.view.clone())
        };
        let read: Function = Reflect::get(&reader, &"read".into())
            .and_then(JsCast::dyn_into)
            .map_err(describe_js_error)?;
        loop {
            {
                let slices = self.0.borrow();
                if slices.buffer.len() >= READ_AHEAD_BYTES || slices.offset >= slices.size {
                    break;
                }
            }
            let promise = read.call1(&reader, &view).map_err(describe_js_error)?;
            let result = JsFuture::from(js_sys::Promise::from(promise))
                .await
                .map_err(|e| format!("cannot read the file: {}", describe_js_error(e)))?;
            let done = Reflect::get(&result, &"done".into()).map_err(describe_js_error)?;
            let mut slices = self.0.borrow_mut();
            if done.is_truthy() {
                slices.stream = None;
                break;
            }
            let value = Reflect::get(&result, &"value".into()).map_err(describe_js_error)?;
            let chunk: Uint8Array = value.dyn_into().map_err(describe_js_error)?;
            // The read moved the buffer into `chunk`: the next read reuses it whole.
            view = Uint8Array::new(&chunk.buffer());
            let start = slices.buffer.len();
            slices.buffer.resize(start + chunk.length() as usize, 0);
            chunk.copy_to(&mut slices.buffer[start..]);
            slices.offset += f64::from(chunk.length());
            let offset = slices.offset;
            if let Some(stream) = &mut slices.stream {
                stream.at = offset;
                stream.view = view.clone();
            }
        }
        Ok(())
    }
}

impl Slices {
    /// Replaces the buffer with the next `len` bytes, read synchronously.
    fn read_slice(&mut self, len: f64) -> Result<(), String> {
        let end = (self.offset + len).min(self.size);
        let part = self
            .file
            .slice_with_f64_and_f64(self.offset, end)
            .map_err(describe_js_error)?;
        let bytes = self
            .reader
            .read_as_array_buffer(&part)
            .map_err(|e| format!("cannot read the file: {}", describe_js_error(e)))?;
        let bytes = Uint8Array::new(&bytes);
        self.buffer.resize(bytes.length() as usize, 0);
        bytes.copy_to(&mut self.buffer);
        self.offset = end;
        self.consumed = 0;
        Ok(())
    }

    /// The byte stream, (re)opened where the buffer ends.
    fn stream_at_offset(&mut self) -> Result<&Stream, String> {
        if self.stream.as_ref().is_none_or(|s| s.at != self.offset) {
            let rest = self
                .file
                .slice_with_f64(self.offset)
                .map_err(describe_js_error)?;
            let open_stream: Function = Reflect::get(&rest, &"stream".into())
                .and_then(JsCast::dyn_into)
                .map_err(describe_js_error)?;
            let stream = open_stream.call0(&rest).map_err(describe_js_error)?;
            let get_reader: Function = Reflect::get(&stream, &"getReader".into())
                .and_then(JsCast::dyn_into)
                .map_err(describe_js_error)?;
            let options = Object::new();
            Reflect::set(&options, &"mode".into(), &"byob".into()).map_err(describe_js_error)?;
            let reader = get_reader
                .call1(&stream, &options)
                .map_err(describe_js_error)?;
            self.stream = Some(Stream {
                reader: reader.unchecked_into(),
                at: self.offset,
                view: Uint8Array::new(&ArrayBuffer::new(READ_AHEAD_BYTES as u32)),
            });
        }
        self.stream
            .as_ref()
            .ok_or_else(|| "the file's stream did not open".to_string())
    }
}

impl Read for FileSlices {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut slices = self.0.borrow_mut();
        if slices.consumed == slices.buffer.len() && slices.offset < slices.size {
            slices.read_slice(SLICE_BYTES).map_err(io::Error::other)?;
        }
        let rest = &slices.buffer[slices.consumed..];
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        slices.consumed += n;
        Ok(n)
    }
}

/// A long file whose invoices turn out interleaved is read a second time from its start.
impl Seek for FileSlices {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let mut slices = self.0.borrow_mut();
        let here = slices.offset - (slices.buffer.len() - slices.consumed) as f64;
        let target = match to {
            SeekFrom::Start(position) => position as f64,
            SeekFrom::Current(delta) => here + delta as f64,
            SeekFrom::End(delta) => slices.size + delta as f64,
        };
        if !(0.0..=slices.size).contains(&target) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a position outside the file",
            ));
        }
        slices.offset = target;
        slices.buffer.clear();
        slices.consumed = 0;
        Ok(target as u64)
    }
}

impl ReadAhead for FileSlices {
    fn running_low(&self) -> bool {
        let slices = self.0.borrow();
        slices.buffer.len() - slices.consumed < LOW_WATER_BYTES && slices.offset < slices.size
    }

    fn read_ahead(&self) -> Pin<Box<dyn Future<Output = io::Result<()>> + '_>> {
        Box::pin(async move { self.fill().await.map_err(io::Error::other) })
    }
}
