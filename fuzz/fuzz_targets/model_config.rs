//! Any text as a model configuration (JSON, or TOML when it does not start
//! with `{`): parsing and compiling never panic; a compiled model compiles
//! again to an equal model with the same fingerprint, from its own
//! configuration and through a JSON round trip.
#![no_main]
use healthscore::{Model, ModelConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let config: Option<ModelConfig> = if text.trim_start().starts_with('{') {
        serde_json::from_str(text).ok()
    } else {
        toml::from_str(text).ok()
    };
    let Some(config) = config else { return };
    let Ok(model) = Model::new(config.clone()) else {
        return;
    };
    let again = Model::new(config).expect("a valid configuration compiles again");
    assert_eq!(model.fingerprint(), again.fingerprint());
    let json = serde_json::to_string(model.config()).expect("configurations serialise");
    let back = Model::from_json_str(&json).expect("a serialised model loads");
    assert_eq!(back, model);
});
