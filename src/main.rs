//! The qtriage binary: run the CLI and map its result to an exit status.

use qtriage::cli::exit::ExitCode;

fn main() -> std::process::ExitCode {
    qtriage::cli::memory::limit_malloc_arenas();
    qtriage::cli::memory::hand_back_large_blocks();
    match qtriage::cli::run() {
        Ok(code) => code.into(),
        Err(err) => {
            // `qtriage read | head` closing the pipe is not an error (ripgrep does the same).
            if qtriage::cli::is_broken_pipe(&err) {
                return ExitCode::Success.into();
            }
            qtriage::cli::stderr_line(format_args!("qtriage: {}", qtriage::cli::error_line(&err)));
            ExitCode::Error.into()
        }
    }
}
