//! `fencebench pmu-check`: whether the hardware counters open, here and now or in the
//! run of a result file, as an exit status and one line, for scripts that once grepped
//! the result JSON for it.

use crate::error::{Error, Result};
use crate::result::CounterAvailability;
use crate::run::counters::CounterGroup;
use std::path::Path;

/// The event whose opening stands for the PMU working: every worker counts it.
const PROBE_EVENT: &str = "instructions";

/// Says whether the PMU works: in the run of `file` (a result file, or a directory
/// standing for its latest) when given, else by opening the counters a worker opens;
/// an error, naming why, when it does not.
pub fn execute(file: Option<&Path>) -> Result<()> {
    let counters = match file {
        Some(file) => {
            let path = crate::present::compare::resolve(file)?;
            crate::result::file::read(&path)?.machine.counters
        }
        None => CounterAvailability {
            enabled: true,
            events: CounterGroup::open().1,
        },
    };
    let line = verdict(&counters).map_err(Error::Failed)?;
    crate::stdout::emit(&format!("{line}\n"))
}

/// `Ok` with what worked, or `Err` with why not.
fn verdict(counters: &CounterAvailability) -> std::result::Result<String, String> {
    if !counters.enabled {
        return Err("PMU not tried: the run had --counters off".into());
    }
    match counters.events.iter().find(|(e, _)| e == PROBE_EVENT) {
        Some((_, None)) => Ok(format!(
            "PMU worked: hardware counters opened ({PROBE_EVENT} counted per worker)"
        )),
        Some((_, Some(why))) => Err(format!(
            "PMU did not work: {PROBE_EVENT} could not open: {why}"
        )),
        None => Err(format!(
            "PMU did not work: {PROBE_EVENT} was not among the counters tried"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counters(enabled: bool, why: Option<&str>) -> CounterAvailability {
        CounterAvailability {
            enabled,
            events: vec![
                ("cycles".into(), None),
                (PROBE_EVENT.into(), why.map(String::from)),
            ],
        }
    }

    #[test]
    fn the_verdict_follows_the_instructions_event() {
        assert!(verdict(&counters(true, None))
            .unwrap()
            .starts_with("PMU worked"));
        assert_eq!(
            verdict(&counters(true, Some("ENOENT: no such hardware event"))).unwrap_err(),
            "PMU did not work: instructions could not open: ENOENT: no such hardware event"
        );
        assert!(verdict(&counters(false, None))
            .unwrap_err()
            .contains("--counters off"));
    }
}
