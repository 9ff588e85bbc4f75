//! The `kiln` command line; what it does lives in the library.

fn main() -> std::process::ExitCode {
    kiln::main()
}
