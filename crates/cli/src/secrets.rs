//! Operator commands on the token key that seals secrets at rest (`portico_store::sealed`).

use anyhow::bail;
use chrono::Utc;
use clap::Subcommand;
use portico_config::Keys;
use portico_store::Db;
use portico_store::sealed::{self, Keyring};

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Re-seal every sealed secret under the current token key (`secrets.token_key` /
    /// `token_key_id`), opening old values with `secrets.old_token_keys`. Safe to run again;
    /// once it reports no failures the old keys can be removed from the configuration.
    RotateTokenKey,
}

/// The keyring the configuration describes.
pub fn keyring(keys: &Keys) -> Keyring {
    Keyring::new((keys.token_key_id, keys.token), &keys.old_token_keys)
}

pub async fn run(db: &Db, keys: &Keys, command: SecretsCommand) -> anyhow::Result<()> {
    match command {
        SecretsCommand::RotateTokenKey => {
            let ring = keyring(keys);
            let report = sealed::rotate(db, &ring, Utc::now().timestamp()).await?;
            println!(
                "re-sealed {} secret(s) under token key {}",
                report.resealed,
                ring.current_id()
            );
            if !report.failed.is_empty() {
                for (tenant, id, why) in &report.failed {
                    eprintln!("tenant {tenant}, sealed secret #{id}: {why}");
                }
                bail!(
                    "{} sealed secret(s) could not be opened and still need an old key; keep \
                     secrets.old_token_keys until they are re-sealed or deleted",
                    report.failed.len()
                );
            }
            println!(
                "every sealed secret is under key {}; old keys may be removed from the configuration",
                ring.current_id()
            );
            Ok(())
        }
    }
}
