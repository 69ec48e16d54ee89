use std::process::ExitCode;

// Parsing allocates and frees small strings for every line; mimalloc does
// that much faster than the system allocator on many threads. Guarded: an
// allocation that fails names the input being read.
#[global_allocator]
static ALLOCATOR: costsim::crash::Guarded<mimalloc::MiMalloc> =
    costsim::crash::Guarded(mimalloc::MiMalloc);

fn main() -> ExitCode {
    costsim::crash::install_panic_hook();
    let code = costsim::run(std::env::args_os());
    ExitCode::from(u8::try_from(code).unwrap_or(2))
}
