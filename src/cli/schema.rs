//! `labgrade schema`: print the JSON Schema of the spec or of the JSON report.

use clap::ValueEnum;

use labgrade::exit::Exit;

use super::Error;

#[derive(clap::Args)]
pub(super) struct SchemaArgs {
    #[arg(value_enum, default_value_t = SchemaOf::Spec)]
    of: SchemaOf,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SchemaOf {
    /// The lab spec (YAML)
    Spec,
    /// The JSON report of `check --format json`
    Report,
}

pub(super) fn run(a: SchemaArgs) -> Result<Exit, Error> {
    match a.of {
        SchemaOf::Spec => print!("{}", labgrade::spec::Spec::json_schema()),
        SchemaOf::Report => print!("{}", labgrade::report::Report::json_schema()),
    }
    Ok(Exit::Passed)
}
