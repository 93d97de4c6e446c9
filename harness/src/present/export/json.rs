//! JSON: the result file itself, as it would be written.

use super::{Exporter, Style};
use crate::result::ResultFile;

pub(super) struct Json;

impl Exporter for Json {
    fn render(&self, file: &ResultFile, _: Style) -> String {
        let json = serde_json::to_string_pretty(file).expect("result files always serialise");
        json + "\n"
    }
}
