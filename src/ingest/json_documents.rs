//! Files that hold JSON documents rather than JSON lines, re-read as lines
//! so every format reads them like JSONL: one JSON array (dashboard
//! exports) becomes one line per element, and pretty-printed values one
//! line per value. Both are parsed one value at a time as the file is read,
//! on a thread of their own (`produced`): a gigabyte array is never held
//! whole, only the value being parsed, and a value longer than the line cap
//! is skipped as a line too long.

use std::cell::RefCell;
use std::io::{self, BufRead, Read};
use std::rc::Rc;

use serde_json::Value;

use super::gemini_cli;
use super::produced::{lines_from, Lines, Stop};
use super::MAX_LINE_BYTES;

/// What a [`Metered`] reader has let through since the last value began.
struct Meter {
    /// Bytes the current value may still take before it is too long.
    left: usize,
    /// The bytes of the current value, kept only where a bad value is
    /// passed on whole (pretty-printed values).
    recorded: Option<Vec<u8>>,
}

impl Meter {
    fn new(record: bool) -> Rc<RefCell<Meter>> {
        Rc::new(RefCell::new(Meter {
            left: MAX_LINE_BYTES + 1,
            recorded: record.then(Vec::new),
        }))
    }

    /// A new value begins.
    fn restart(&mut self) {
        self.left = MAX_LINE_BYTES + 1;
        if let Some(r) = self.recorded.as_mut() {
            r.clear();
        }
    }

    fn too_long(&self) -> bool {
        self.left == 0
    }
}

/// The file as the JSON parser reads it, metered per value.
struct Metered<R> {
    inner: R,
    meter: Rc<RefCell<Meter>>,
}

impl<R: Read> Read for Metered<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut meter = self.meter.borrow_mut();
        if meter.too_long() {
            return Err(io::Error::other(format!(
                "a JSON value longer than {} MiB",
                MAX_LINE_BYTES >> 20
            )));
        }
        let room = buf.len().min(meter.left);
        let n = self.inner.read(&mut buf[..room])?;
        meter.left -= n;
        if let Some(r) = meter.recorded.as_mut() {
            r.extend_from_slice(&buf[..n]);
        }
        Ok(n)
    }
}

/// One JSON array, one line per element: element `n` is line `n`. The
/// array is split into elements by its brackets, commas and strings alone,
/// so an element that is not valid JSON is passed on as it is (the format
/// reports it as malformed) and the elements after it are still read; each
/// valid element is compacted onto one line.
pub fn array_as_lines(mut reader: Box<dyn BufRead + Send>) -> Box<dyn BufRead + Send> {
    lines_from(move |lines| {
        let mut splitter = Splitter::default();
        loop {
            let chunk = match reader.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Stop::Failed(e)),
            };
            if chunk.is_empty() {
                return match splitter.state {
                    State::After => Ok(()),
                    _ => Err(Stop::Failed(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "not a JSON array: the input ends inside the array",
                    ))),
                };
            }
            let n = chunk.len();
            splitter.feed(chunk, lines)?;
            reader.consume(n);
        }
    })
}

#[derive(Default, PartialEq)]
enum State {
    /// Before the opening `[`.
    #[default]
    Before,
    /// Between elements, or in one.
    In,
    /// After the closing `]`: only whitespace may follow.
    After,
}

/// Where the array reading stands, carried from one chunk to the next.
#[derive(Default)]
struct Splitter {
    state: State,
    /// Nesting inside the current element.
    depth: u32,
    in_string: bool,
    escaped: bool,
    /// The current element's bytes (none kept once it is too long).
    element: Vec<u8>,
    oversized: bool,
}

impl Splitter {
    fn feed(&mut self, chunk: &[u8], lines: &mut Lines) -> Result<(), Stop> {
        for &b in chunk {
            match self.state {
                State::Before => match b {
                    b'[' => self.state = State::In,
                    b if b.is_ascii_whitespace() => {}
                    _ => return Err(Self::broken("not a JSON array")),
                },
                State::After if b.is_ascii_whitespace() => {}
                State::After => {
                    return Err(Self::broken(
                        "not a JSON array: trailing characters after the closing ]",
                    ))
                }
                State::In => self.byte(b, lines)?,
            }
        }
        Ok(())
    }

    fn broken(message: &str) -> Stop {
        Stop::Failed(io::Error::new(
            io::ErrorKind::InvalidData,
            message.to_string(),
        ))
    }

    /// One byte inside the array.
    fn byte(&mut self, b: u8, lines: &mut Lines) -> Result<(), Stop> {
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_string = false;
            }
        } else {
            match b {
                b',' | b']' if self.depth == 0 => {
                    self.end_element(lines)?;
                    if b == b']' {
                        self.state = State::After;
                    }
                    return Ok(());
                }
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => self.depth = self.depth.saturating_sub(1),
                b if b.is_ascii_whitespace() && self.element.is_empty() => return Ok(()),
                _ => {}
            }
        }
        if self.oversized {
            // Read through to its end, not kept.
        } else if self.element.len() < MAX_LINE_BYTES {
            self.element.push(b);
        } else {
            self.oversized = true;
            self.element = Vec::new();
        }
        Ok(())
    }

    fn end_element(&mut self, lines: &mut Lines) -> Result<(), Stop> {
        let element = std::mem::take(&mut self.element);
        if std::mem::take(&mut self.oversized) {
            return lines.oversized_line();
        }
        let element = element.trim_ascii();
        if element.is_empty() {
            // `[]`, or a stray comma: nothing to read.
            return Ok(());
        }
        match serde_json::from_slice::<Value>(element) {
            Ok(value) => {
                let line =
                    serde_json::to_vec(&value).map_err(|e| Stop::Failed(io::Error::other(e)))?;
                lines.line(&line)
            }
            // As it is: the format reports it where it stands.
            Err(_) => lines.json_line(element),
        }
    }
}

/// Pretty-printed JSON values one after another, one line per value (a
/// Gemini CLI legacy session object becomes several lines: its header, then
/// one per message). A value that does not parse ends the input there, the
/// rest passed on as one line for the format to report as malformed.
pub fn values_as_lines(reader: Box<dyn BufRead + Send>) -> Box<dyn BufRead + Send> {
    lines_from(move |lines| {
        let meter = Meter::new(true);
        let mut metered = Metered {
            inner: reader,
            meter: meter.clone(),
        };
        let mut line = Vec::new();
        let failure = {
            let mut values =
                serde_json::Deserializer::from_reader(&mut metered).into_iter::<Value>();
            loop {
                meter.borrow_mut().restart();
                match values.next() {
                    None => break None,
                    Some(Ok(mut value)) => {
                        let expanded =
                            gemini_cli::session_lines(&mut value).unwrap_or_else(|| vec![value]);
                        for value in &expanded {
                            line.clear();
                            serde_json::to_writer(&mut line, value)
                                .map_err(|e| Stop::Failed(io::Error::other(e)))?;
                            lines.line(&line)?;
                        }
                    }
                    Some(Err(e)) => break Some(e),
                }
            }
        };
        let Some(e) = failure else {
            return Ok(());
        };
        if meter.borrow().too_long() {
            lines.oversized_line()?;
            return Err(Stop::Failed(io::Error::other(format!(
                "the rest of the file is not read: a JSON value is longer than {} MiB",
                MAX_LINE_BYTES >> 20
            ))));
        }
        if let Some(kind) = e.io_error_kind() {
            return Err(Stop::Failed(io::Error::new(kind, e.to_string())));
        }
        // The bad value and whatever follows, as one line.
        let mut rest = meter.borrow_mut().recorded.take().unwrap_or_default();
        if metered.read_to_end(&mut rest).is_err() {
            return lines.oversized_line();
        }
        lines.json_line(rest.trim_ascii_start())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(
        f: fn(Box<dyn BufRead + Send>) -> Box<dyn BufRead + Send>,
        text: &str,
    ) -> (String, Option<io::Error>) {
        let input: Box<dyn BufRead + Send> = Box::new(io::Cursor::new(text.as_bytes().to_vec()));
        let mut out = String::new();
        let err = f(input).read_to_string(&mut out).err();
        (out, err)
    }

    #[test]
    fn arrays_become_one_line_per_element() {
        let (out, err) = read(
            array_as_lines,
            " [ {\"b\": 1,\n \"a\": [2]},\n 3, \"x\"\n]\n",
        );
        assert!(err.is_none(), "{err:?}");
        assert_eq!(out, "{\"a\":[2],\"b\":1}\n3\n\"x\"\n");
        let (out, err) = read(array_as_lines, "[]");
        assert_eq!((out.as_str(), err.is_none()), ("", true));
    }

    #[test]
    fn a_broken_array_keeps_what_came_before() {
        let (out, err) = read(array_as_lines, "[{\"a\": 1}, {\"b\": ");
        assert_eq!(out, "{\"a\":1}\n");
        assert_eq!(err.unwrap().kind(), io::ErrorKind::UnexpectedEof);
        let (_, err) = read(array_as_lines, "[1] [2]");
        assert!(err.unwrap().to_string().contains("trailing characters"));
        let (out, err) = read(array_as_lines, "{\"a\": 1}");
        assert_eq!(out, "");
        assert!(err.unwrap().to_string().contains("not a JSON array"));
        // A bad element is passed on as it is; the rest are still read.
        let (out, err) = read(
            array_as_lines,
            "[{\"a\": tru},\n {\"s\": \"x,]\\\"y\"}, [1, [2]] , ]",
        );
        assert!(err.is_none(), "{err:?}");
        assert_eq!(out, "{\"a\": tru}\n{\"s\":\"x,]\\\"y\"}\n[1,[2]]\n");
    }

    #[test]
    fn pretty_values_one_line_each_and_the_bad_rest_as_one() {
        let text = "{\n  \"a\": 1,\n  \"b\": {\"c\": 2}\n}\n{\"a\": 3}\n{\n \"cut";
        let (out, err) = read(values_as_lines, text);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(out, "{\"a\":1,\"b\":{\"c\":2}}\n{\"a\":3}\n{  \"cut\n");
    }

    #[test]
    fn a_value_longer_than_the_cap_is_skipped_unread() {
        let mut text = String::from("[{\"a\": \"");
        text.push_str(&"x".repeat(MAX_LINE_BYTES + 10));
        text.push_str("\"}, 1]");
        let (out, err) = read(array_as_lines, &text);
        // Skipped as too long (the cap and a byte, then a newline), and the
        // element after it still read.
        assert!(err.is_none(), "{err:?}");
        assert_eq!(out.len(), MAX_LINE_BYTES + 2 + 2);
        assert!(out.ends_with(" \n1\n"));
    }
}
