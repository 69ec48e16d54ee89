use std::process::ExitCode;

// Parsing allocates and frees small strings for every line; mimalloc does
// that much faster than the system allocator on many threads.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let code = costsim::run(std::env::args_os());
    ExitCode::from(u8::try_from(code).unwrap_or(2))
}
