//! The `lore` binary. Everything it does is in the library's `main`, so that the
//! library's items stay private to it and the compiler finds the dead ones.

fn main() -> std::process::ExitCode {
    lore::main()
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
