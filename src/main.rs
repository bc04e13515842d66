//! The `stateproof` command: parses its arguments, runs the command from
//! the application library (`stateproof-app`), prints the report (text, or
//! JSON with `--json`) and exits 0, 1 (input that breaks a rule or fails
//! verification) or 2 (input that cannot be read or used).

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Mesa's device-select Vulkan layer probes the display server and
    // prints errors on headless machines; stateproof selects adapters
    // itself. Set here, before any thread exists.
    if std::env::var_os("NODEVICE_SELECT").is_none() {
        std::env::set_var("NODEVICE_SELECT", "1");
    }
    stateproof_app::install_test_hooks();
    let cli = cli::Cli::parse();
    let out = cli::output::Output::new(cli.json);
    cli::output::install_warnings();
    match cli::run(cli.command, &out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            out.error(&e);
            ExitCode::from(e.exit_code())
        }
    }
}
