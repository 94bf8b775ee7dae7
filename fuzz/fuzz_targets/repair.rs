//! Repair on arbitrary text: no panic, and repairing the output again changes nothing.
#![no_main]

use std::sync::OnceLock;

use colloquy::repair::Repairer;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    static REPAIRER: OnceLock<Repairer> = OnceLock::new();
    let repairer = REPAIRER.get_or_init(Repairer::new);
    let text = String::from_utf8_lossy(data);
    let once = repairer.repair(&text);
    let twice = repairer.repair(&once.text);
    assert_eq!(twice.text, once.text, "repair is not idempotent");
});
