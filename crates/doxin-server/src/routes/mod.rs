pub mod health;
pub mod intake;
pub mod jobs;
pub mod ws;
