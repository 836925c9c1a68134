//! Black-box tests of the HTTP API: each spawns the real application on port 0 over a fresh
//! database (a temporary SQLite file, or a new PostgreSQL database when configured).

mod admin;
mod alerts;
mod analytics;
mod auth;
mod auth_cache;
mod authz;
mod companies;
mod exports;
mod health;
mod helpers;
mod intake;
mod invoices;
mod openapi;
mod reports;
mod review;
mod roles;
mod security;
mod web;
mod web_admin;
mod web_analytics;
mod web_review;
mod workspaces;
mod ws;
