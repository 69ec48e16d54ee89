//! What costsim says when it fails inside itself: a failed allocation or a
//! panic names the input file and line being read, in one line, with no
//! Rust backtrace. Reading is bounded (line length, array elements, rows),
//! so neither should happen; when one does, the user can tell which input
//! caused it and report that.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::io::Write;

/// Bytes of the file name kept per thread (longer names are cut).
const NAME_BYTES: usize = 512;

thread_local! {
    // Fixed-size and free of destructors, so the allocator may read them
    // without allocating.
    static FILE: RefCell<([u8; NAME_BYTES], usize)> =
        const { RefCell::new(([0; NAME_BYTES], 0)) };
    static LINE: Cell<u64> = const { Cell::new(0) };
}

/// Notes that this thread now reads `file` (empty: nothing).
pub fn reading(file: &str) {
    let mut end = file.len().min(NAME_BYTES);
    while !file.is_char_boundary(end) {
        end -= 1;
    }
    FILE.with(|f| {
        let mut f = f.borrow_mut();
        f.0[..end].copy_from_slice(&file.as_bytes()[..end]);
        f.1 = end;
    });
    LINE.with(|l| l.set(0));
}

/// Notes the line of the current file this thread reads.
pub fn at_line(line: u64) {
    LINE.with(|l| l.set(line));
}

/// " while reading FILE line N", or nothing outside any file.
struct Place;

impl fmt::Display for Place {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = LINE.try_with(Cell::get).unwrap_or(0);
        FILE.try_with(|f| match f.try_borrow() {
            Ok(f) if f.1 > 0 => {
                let name = String::from_utf8_lossy(&f.0[..f.1]);
                write!(out, " while reading {name}")?;
                if line > 0 {
                    write!(out, " line {line}")?;
                }
                Ok(())
            }
            _ => Ok(()),
        })
        .unwrap_or(Ok(()))
    }
}

/// Replaces Rust's panic message (and its backtrace hint) with one line
/// naming the input being read.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("unknown cause");
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let _ = writeln!(
            std::io::stderr(),
            "costsim: internal error{}: {message}{location}. This is a bug: please report it with that input.",
            Place
        );
    }));
}

/// Writes the out-of-memory message to `out` (no allocation when `out`
/// does not allocate).
fn out_of_memory(out: &mut dyn Write, bytes: usize) {
    let _ = writeln!(
        out,
        "costsim: error: out of memory: {bytes} bytes could not be allocated{}. \
         costsim bounds what one line or record may take; please report this input.",
        Place
    );
}

/// The allocator `A`, ending the run with a message naming the input (exit
/// code 2) when memory runs out, instead of Rust's abort.
pub struct Guarded<A>(pub A);

impl<A: GlobalAlloc> Guarded<A> {
    fn checked(ptr: *mut u8, bytes: usize) -> *mut u8 {
        if ptr.is_null() {
            out_of_memory(&mut std::io::stderr(), bytes);
            std::process::exit(2);
        }
        ptr
    }
}

// SAFETY: every method forwards to `A` unchanged; only a null result (which
// `A` returns on failure) is turned into the end of the process.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Guarded<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        Self::checked(unsafe { self.0.alloc(layout) }, layout.size())
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        Self::checked(unsafe { self.0.alloc_zeroed(layout) }, layout.size())
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { self.0.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        Self::checked(unsafe { self.0.realloc(ptr, layout, new_size) }, new_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_name_the_file_and_line_being_read() {
        let message = |f: &dyn Fn()| {
            f();
            let mut out = Vec::new();
            out_of_memory(&mut out, 1 << 40);
            String::from_utf8(out).unwrap()
        };
        let inside = message(&|| {
            reading("logs/big.jsonl");
            at_line(42);
        });
        assert!(
            inside.contains(
                "1099511627776 bytes could not be allocated while reading logs/big.jsonl line 42."
            ),
            "{inside}"
        );
        let outside = message(&|| reading(""));
        assert!(outside.contains("allocated. costsim"), "{outside}");
        // A long name is cut at a character boundary.
        let long = "é".repeat(NAME_BYTES);
        let cut = message(&|| reading(&long));
        assert!(cut.contains(&"é".repeat(NAME_BYTES / 2)), "{cut}");
    }
}
