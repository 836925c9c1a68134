//! One module per resource group, each exposing `router()`.

pub mod health;
