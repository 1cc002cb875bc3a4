// mimalloc: evaluation allocates many small, short-lived values on every thread, where it is
// markedly faster than the system allocator (see benches/scan.rs).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    plumb::keep_freed_memory();
    plumb::cli::run()
}
