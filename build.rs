//! The migrations are embedded at compile time (`diesel_migrations::embed_migrations!`); a new
//! migration folder changes no Rust file, so tell cargo to rebuild when the folders change.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
