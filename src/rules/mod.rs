//! Rules as data: the file format, the embedded packs, loading and merging the config
//! layers, and running rules' own examples.

pub mod builtin;
pub mod examples;
pub mod load;
pub mod model;
mod sections;
