//! Lines made on a thread of their own (the rows of an agent's database, the
//! elements of a JSON array) and read as a stream of bytes: the producer
//! hands over batches through a small bounded channel, so memory does not
//! grow with the input, and stops when the reader goes away.

use std::io::{self, BufRead, BufReader, Read};
use std::sync::mpsc;

use super::MAX_LINE_BYTES;

/// Lines are handed over in batches of about this many bytes.
const BATCH_BYTES: usize = 256 * 1024;

/// Batches in flight between the producer and the reader.
const BATCHES_IN_FLIGHT: usize = 4;

/// Why a producer stopped early.
#[derive(Debug)]
pub enum Stop {
    /// The reader dropped its end (the run ended or failed): nothing to do.
    Closed,
    /// The input could not be read further: the reader gets this error
    /// after the lines made so far.
    Failed(io::Error),
}

/// Where a producer writes its lines.
pub struct Lines {
    sender: mpsc::SyncSender<io::Result<Vec<u8>>>,
    batch: Vec<u8>,
}

impl Lines {
    /// Adds one line (`line` holds no newline).
    pub fn line(&mut self, line: &[u8]) -> Result<(), Stop> {
        self.batch.extend_from_slice(line);
        self.batch.push(b'\n');
        if self.batch.len() >= BATCH_BYTES {
            self.hand_over()?;
        }
        Ok(())
    }

    /// Adds one line of JSON text: raw newlines (whitespace in valid JSON)
    /// become spaces.
    pub fn json_line(&mut self, text: &[u8]) -> Result<(), Stop> {
        self.batch.extend(
            text.iter()
                .map(|&b| if b == b'\n' || b == b'\r' { b' ' } else { b }),
        );
        self.line(b"")
    }

    /// A line longer than the line cap, without holding it: the reader
    /// skips it as too long.
    pub fn oversized_line(&mut self) -> Result<(), Stop> {
        let mut left = MAX_LINE_BYTES + 1;
        while left > 0 {
            let n = left.min(BATCH_BYTES);
            self.batch.resize(self.batch.len() + n, b' ');
            left -= n;
            self.hand_over()?;
        }
        self.line(b"")
    }

    fn hand_over(&mut self) -> Result<(), Stop> {
        let full = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH_BYTES));
        self.sender.send(Ok(full)).map_err(|_| Stop::Closed)
    }
}

/// Runs `produce` on a thread and reads what it writes as one stream of
/// lines; an error it stops with reaches the reader after its lines.
pub fn lines_from<F>(produce: F) -> Box<dyn BufRead + Send>
where
    F: FnOnce(&mut Lines) -> Result<(), Stop> + Send + 'static,
{
    let (sender, receiver) = mpsc::sync_channel(BATCHES_IN_FLIGHT);
    std::thread::spawn(move || {
        let mut lines = Lines {
            sender,
            batch: Vec::with_capacity(BATCH_BYTES),
        };
        let failure = match produce(&mut lines) {
            Ok(()) => None,
            Err(Stop::Closed) => return,
            Err(Stop::Failed(e)) => Some(e),
        };
        if !lines.batch.is_empty() && lines.hand_over().is_err() {
            return;
        }
        if let Some(e) = failure {
            let _ = lines.sender.send(Err(e));
        }
    });
    Box::new(BufReader::with_capacity(
        BATCH_BYTES,
        ChannelReader {
            receiver,
            current: io::Cursor::new(Vec::new()),
            done: false,
        },
    ))
}

/// The reading end: batches of lines as one byte stream.
struct ChannelReader {
    receiver: mpsc::Receiver<io::Result<Vec<u8>>>,
    current: io::Cursor<Vec<u8>>,
    done: bool,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = self.current.read(buf)?;
            if n > 0 || buf.is_empty() || self.done {
                return Ok(n);
            }
            match self.receiver.recv() {
                Ok(Ok(batch)) => self.current = io::Cursor::new(batch),
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => self.done = true,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_then_the_error_they_stopped_with() {
        let mut reader = lines_from(|lines| {
            lines.line(b"one")?;
            lines.json_line(b"{\n\"a\": 1\r\n}")?;
            Err(Stop::Failed(io::Error::other("broken")))
        });
        let mut text = String::new();
        let err = reader.read_to_string(&mut text).unwrap_err();
        assert_eq!(text, "one\n{ \"a\": 1  }\n");
        assert_eq!(err.to_string(), "broken");
    }

    #[test]
    fn an_oversized_line_is_not_held() {
        let mut reader = lines_from(|lines| {
            lines.oversized_line()?;
            lines.line(b"after")
        });
        let mut all = Vec::new();
        reader.read_to_end(&mut all).unwrap();
        assert_eq!(all.len(), MAX_LINE_BYTES + 2 + 6);
        assert!(all.ends_with(b"\nafter\n"));
    }

    #[test]
    fn the_producer_stops_when_the_reader_goes() {
        let (done, finished) = mpsc::channel();
        let reader = lines_from(move |lines| {
            let result = (0..).try_for_each(|_| lines.line(&[b'x'; 1000]));
            let _ = done.send(matches!(result, Err(Stop::Closed)));
            result
        });
        drop(reader);
        assert!(finished.recv().unwrap());
    }
}
