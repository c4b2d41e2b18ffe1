//! Reading ahead between records. The parser pulls bytes synchronously; a source that can
//! only read efficiently asynchronously (a browser worker's `File`: a synchronous read
//! allocates a new buffer every time, garbage the worker collects only when it yields, where an
//! asynchronous read refills one reused buffer) is offered the moments between records, when
//! the parser holds no borrow of it, to fill its buffer. Reading a 6 GB file in a worker peaked
//! at 2.7 GB of renderer memory synchronously, 0.55 GB reading ahead.

use std::future::Future;
use std::io;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

use super::IngestError;

/// A source's side door, beside the `Read` the parser pulls from.
pub trait ReadAhead {
    /// Whether the bytes buffered for the parser are running low. Called once a record: cheap.
    fn running_low(&self) -> bool;
    /// Buffers more of the input. The parser's own reads must work without it: this only
    /// changes how the bytes arrive.
    fn read_ahead(&self) -> Pin<Box<dyn Future<Output = io::Result<()>> + '_>>;
}

/// A source read only when the parser asks (a file natively, bytes in memory).
pub struct NoReadAhead;

impl ReadAhead for NoReadAhead {
    fn running_low(&self) -> bool {
        false
    }

    fn read_ahead(&self) -> Pin<Box<dyn Future<Output = io::Result<()>> + '_>> {
        Box::pin(std::future::ready(Ok(())))
    }
}

/// Runs a reading whose source never reads ahead: it never waits, so one poll finishes it.
pub(super) fn without_waiting<T>(
    reading: impl Future<Output = Result<T, IngestError>>,
) -> Result<T, IngestError> {
    match pin!(reading).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(result) => result,
        Poll::Pending => Err(IngestError::Internal(
            "a source that does not read ahead waited",
        )),
    }
}
