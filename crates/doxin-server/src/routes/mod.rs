pub mod access;
pub mod auth;
pub mod health;
pub mod intake;
pub mod jobs;
pub mod setup;
pub mod ws;
